/**
 * An error the Docker daemon or CLI reports: `message` is the text after
 * `Error response from daemon: ` (daemon errors) or the CLI's own text (`daemon: false`), with
 * the HTTP status the API would give (the CLI exits 1 either way).
 */
export class DockerError extends Error {
  constructor(
    message: string,
    readonly status = 500,
    /** false for errors the CLI finds itself, before any request is sent. */
    readonly daemon = true,
  ) {
    super(message);
  }

  /** What `docker` prints on standard error. */
  get text(): string {
    return this.daemon ? `Error response from daemon: ${this.message}` : this.message;
  }
}
