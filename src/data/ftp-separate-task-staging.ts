/** FTP staging as separate staging tasks on the executor (needs a filesystem its workers share). */
import { FTPStaging } from './ftp-staging.js';

export class FTPSeparateTaskStaging extends FTPStaging {
  protected readonly mode = 'separate-task';
}
