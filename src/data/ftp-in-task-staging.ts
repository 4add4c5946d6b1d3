/** FTP staging inside the app's own task, on its worker (no shared filesystem needed). */
import { FTPStaging } from './ftp-staging.js';

export class FTPInTaskStaging extends FTPStaging {
  protected readonly mode = 'in-task';
}
