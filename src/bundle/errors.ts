/** ProjectError: a Workers project that cannot be deployed as it is (its message says why, naming the key, file or import). */
export class ProjectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProjectError';
  }
}
