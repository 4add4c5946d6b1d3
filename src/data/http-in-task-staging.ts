/** HTTP(S) staging inside the app's own task, on its worker (no shared filesystem needed). */
import { HTTPStaging } from './http-staging.js';

export class HTTPInTaskStaging extends HTTPStaging {
  protected readonly mode = 'in-task';
}
