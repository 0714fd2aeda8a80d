/** Re-export for the CLI's lazy `diag` import (see cli.ts). */
export { loadConfig } from '@athena/config';
