import type * as CassandraDriver from 'cassandra-driver';
import { lazyModule } from '@athena/common';

/** cassandra-driver, required on first use (see lazyModule): only gateways with a ScyllaDB client load it. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- deferred require (boot memory)
export const cassandraDriver = lazyModule(() => require('cassandra-driver') as typeof CassandraDriver);

/** `cassandra-driver`'s `types` namespace (instanceof checks on decoded values). */
export const cqlTypes = (): typeof CassandraDriver.types => cassandraDriver().types;
