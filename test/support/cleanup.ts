/** Jest setupFilesAfterEnv of the e2e project: per spec file, remove the temp dirs it made (services.ts). */
import { removeTestTempDirs } from './services';

afterAll(() => {
  removeTestTempDirs();
});
