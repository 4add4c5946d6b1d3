/** HTTP(S) staging as separate staging tasks on the executor (needs a filesystem its workers share). */
import { HTTPStaging } from './http-staging.js';

export class HTTPSeparateTaskStaging extends HTTPStaging {
  protected readonly mode = 'separate-task';
}
