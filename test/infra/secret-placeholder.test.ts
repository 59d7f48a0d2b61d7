/**
 * The credentials secret the stack creates must be one the function refuses
 * until it is filled in (issue 11, point 6): the template's own value goes
 * through the function's own parser.
 */
import { describe, expect, it } from 'vitest';
import { parseCredentials } from '../../functions/token-broker/credentials.ts';
import { synthConstruct } from './support.ts';

describe('the created credentials secret', () => {
  it('fails when parsed as created, with the placeholder named', () => {
    // Prepare
    const { template } = synthConstruct();
    const secrets = Object.values(template.findResources('AWS::SecretsManager::Secret')).map(
      (r) => r.Properties?.GenerateSecretString,
    );
    const generated = secrets.find((g) => g?.GenerateStringKey === 'password');
    // A generated password stands in for the one Secrets Manager would add.
    const created = JSON.stringify({
      ...JSON.parse(generated?.SecretStringTemplate ?? '{}'),
      password: 'generated-by-secrets-manager',
    });
    // Act
    const parse = () => parseCredentials(created, 'visual-token-broker/credentials');
    // Assess
    expect(parse).toThrow(/still holds the deploy placeholder/);
  });
});
