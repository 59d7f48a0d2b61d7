/**
 * The error of a setting's parser, shared by setting-rules.ts and the rules
 * it is built from, without an import circle between them.
 */

/** A value that breaks a setting's rule; the caller names the setting in its own error. */
export class InvalidSettingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidSettingError';
  }
}
