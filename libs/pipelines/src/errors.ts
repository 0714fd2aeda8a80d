import { defineErrors } from '@athena/common';

/** The pipelines library's error codes: code → HTTP status → meaning (listed in the OpenAPI description). */
export const PipelinesErrors = defineErrors('pipelines', {
  unknownPipeline: {
    code: 'unknown_pipeline',
    status: 400,
    meaning: 'No pipeline template has this name (GET /pipelines/templates lists them)',
  },
  invalidPipelinesFile: {
    code: 'invalid_pipelines_file',
    status: 500,
    meaning:
      'The pipelines template file (gateway.pipelines_path / --pipelines) does not parse; the message names the entry',
  },
  missingClientHeader: {
    code: 'missing_client_header',
    status: 400,
    meaning: 'X-Athena-Client is missing; name the client (database) to run on',
  },
  invalidPipeline: {
    code: 'invalid_pipeline',
    status: 400,
    meaning: 'The pipeline payload is malformed: source, sink or transform missing or of the wrong shape',
  },
});
