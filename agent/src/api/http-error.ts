// An error a handler throws to answer with its status (and headers), kept apart from the HTTP
// plumbing so the operator check can throw one without depending on it.
export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}
