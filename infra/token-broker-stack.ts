/** The deployable stack. For now a skeleton; the broker construct is added next. */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/** Props of {@link TokenBrokerStack}. */
export interface TokenBrokerStackProps extends StackProps {}

/** The visual-token-broker stack. */
export class TokenBrokerStack extends Stack {
  constructor(scope: Construct, id: string, props: TokenBrokerStackProps = {}) {
    super(scope, id, props);
    new CfnOutput(this, 'Service', { value: 'visual-token-broker' });
  }
}
