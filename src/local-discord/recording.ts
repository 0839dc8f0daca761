/**
 * Request recording: every HTTP request the bot sends is kept (headers without the token, parsed body and
 * files, the status and response it got, whether an injected fault answered), in arrival order.
 */

export interface RecordedFile {
  field: string;
  name: string;
  contentType: string;
  size: number;
  data: Buffer;
}

export interface RecordedRequest {
  seq: number;
  at: number;
  method: string;
  /** Decoded path after /api/v10, without the query: `/webhooks/1/tok/messages/@original`. */
  path: string;
  /** The route template: `/webhooks/:application/:token/messages/:message`. */
  route: string;
  query: Record<string, string>;
  /** Request headers, lower-case, without Authorization. */
  headers: Record<string, string>;
  /** The JSON body (or multipart `payload_json`), parsed; undefined when there is none. */
  body: unknown;
  files: RecordedFile[];
  status: number;
  response: unknown;
  /** True when an injected fault answered instead of the local Discord. */
  faulted: boolean;
}

export class RequestRecorder {
  readonly requests: RecordedRequest[] = [];
  /** Real time (Date.now) of the last HTTP request received or answered, for "settled" checks. */
  lastRequestAt = Date.now();
  private seq = 0;

  /** A new record (not yet kept) with the next sequence number; status 0 until answered. */
  begin(fields: Pick<RecordedRequest, 'at' | 'method' | 'path' | 'route' | 'query' | 'headers'>): RecordedRequest {
    return { seq: ++this.seq, ...fields, body: undefined, files: [], status: 0, response: undefined, faulted: false };
  }

  /** Keeps a record (once its body is parsed, or parsing it failed). */
  keep(record: RecordedRequest): void {
    this.requests.push(record);
  }

  /** Drops the requests recorded so far (sequence numbers go on). */
  forget(): void {
    this.requests.length = 0;
  }

  settle(record: RecordedRequest, status: number, response: unknown): void {
    record.status = status;
    record.response = response;
    this.lastRequestAt = Date.now();
  }
}
