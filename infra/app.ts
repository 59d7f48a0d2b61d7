/**
 * The CDK app: one stack, settings from context, checked by cdk-nag
 * (AwsSolutions and Serverless packs) on every synth.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { TokenBrokerStack } from './token-broker-stack.ts';

const app = new App();
new TokenBrokerStack(app, 'VisualTokenBroker');
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
app.synth();
