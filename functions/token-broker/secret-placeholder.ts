/**
 * The placeholder the deployment writes into a new credentials secret. Pure,
 * so that infra/ (which writes it) and credentials.ts (which refuses it)
 * share one spelling; a stack test feeds the synthesised template's value to
 * the parser.
 */

/**
 * How every placeholder value the deployment writes into a new secret
 * begins. A value that begins so was never filled in: it is refused before
 * any login, which would only burn an attempt on the provider's account.
 */
export const SECRET_PLACEHOLDER_PREFIX = 'REPLACE-WITH-';

/** The user name of the secret the stack creates. */
export const SECRET_PLACEHOLDER_USER_NAME = `${SECRET_PLACEHOLDER_PREFIX}DEVELOPER-ACCOUNT`;
