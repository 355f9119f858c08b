// The reference pipeline (CodeCommit -> CodeBuild build and unit tests -> manual approval ->
// CodeDeploy to EC2 by tag, S3 artifact bucket), written with the AWS CDK, for the side-by-side
// synthesis benchmark. COPIES=n synthesizes n copies, 20 per stack (CDK's 500-resource limit).
const cdk = require('aws-cdk-lib');
const codecommit = require('aws-cdk-lib/aws-codecommit');
const codebuild = require('aws-cdk-lib/aws-codebuild');
const codedeploy = require('aws-cdk-lib/aws-codedeploy');
const codepipeline = require('aws-cdk-lib/aws-codepipeline');
const actions = require('aws-cdk-lib/aws-codepipeline-actions');
const s3 = require('aws-cdk-lib/aws-s3');

function addReference(stack, prefix) {
  const repo = new codecommit.Repository(stack, `${prefix}Repo`, { repositoryName: `${prefix}-api` });
  const bucket = new s3.Bucket(stack, `${prefix}Artifacts`, {
    bucketName: `${prefix}-artifacts-0001`,
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    versioned: true,
    lifecycleRules: [{ noncurrentVersionExpiration: cdk.Duration.days(30) }],
  });
  const project = new codebuild.PipelineProject(stack, `${prefix}Build`, {
    projectName: `${prefix}-build`,
    environment: { buildImage: codebuild.LinuxBuildImage.STANDARD_7_0, computeType: codebuild.ComputeType.MEDIUM },
    timeout: cdk.Duration.minutes(30),
    buildSpec: codebuild.BuildSpec.fromObject({
      version: '0.2',
      phases: { build: { commands: ['cargo build --release --locked', 'cargo test --release --locked'] } },
      reports: { 'unit-tests': { files: ['unit.xml'], 'file-format': 'JUNITXML' } },
      artifacts: { files: ['appspec.yml', 'scripts/**/*', 'target/release/shop-api'] },
    }),
  });
  const application = new codedeploy.ServerApplication(stack, `${prefix}App`, { applicationName: prefix });
  const group = new codedeploy.ServerDeploymentGroup(stack, `${prefix}Group`, {
    application,
    deploymentGroupName: 'production',
    ec2InstanceTags: new codedeploy.InstanceTagSet({ Name: [`${prefix}-web`] }),
    deploymentConfig: codedeploy.ServerDeploymentConfig.ONE_AT_A_TIME,
  });
  const source = new codepipeline.Artifact('Source');
  const built = new codepipeline.Artifact('Built');
  new codepipeline.Pipeline(stack, `${prefix}Pipeline`, {
    pipelineName: prefix,
    pipelineType: codepipeline.PipelineType.V2,
    artifactBucket: bucket,
    stages: [
      { stageName: 'Source', actions: [new actions.CodeCommitSourceAction({ actionName: 'Checkout', repository: repo, branch: 'main', output: source })] },
      { stageName: 'Build', actions: [new actions.CodeBuildAction({ actionName: 'BuildAndTest', project, input: source, outputs: [built] })] },
      { stageName: 'Approve', actions: [new actions.ManualApprovalAction({ actionName: 'Approve' })] },
      { stageName: 'Deploy', actions: [new actions.CodeDeployServerDeployAction({ actionName: 'ToProduction', deploymentGroup: group, input: built })] },
    ],
  });
}

const app = new cdk.App();
const copies = parseInt(process.env.COPIES || '1', 10);
const env = { account: '123456789012', region: 'eu-west-1' };
if (copies === 1) {
  addReference(new cdk.Stack(app, 'shop', { env }), 'shop');
} else {
  let stack;
  for (let i = 0; i < copies; i++) {
    if (i % 20 === 0) stack = new cdk.Stack(app, `fleet${i / 20}`, { env });
    addReference(stack, `svc${String(i).padStart(4, '0')}`);
  }
}
app.synth();
