/** The CDK app: one stack, settings from context. */
import { App } from 'aws-cdk-lib';
import { TokenBrokerStack } from './token-broker-stack.ts';

const app = new App();
new TokenBrokerStack(app, 'VisualTokenBroker');
app.synth();
