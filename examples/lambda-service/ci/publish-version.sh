#!/bin/sh
# Publishes dist/function.zip as a new version of $FUNCTION_NAME and prints the AppSpec that
# shifts the `live` alias to it. Without the AWS CLI or the function (the bundled emulator runs no
# Lambda functions) the versions are placeholders, so the pipeline still runs end to end.
set -e
if command -v aws >/dev/null 2>&1 &&
    aws lambda get-function --function-name "$FUNCTION_NAME" >/dev/null 2>&1; then
    current=$(aws lambda get-alias --function-name "$FUNCTION_NAME" --name live \
        --query FunctionVersion --output text)
    aws lambda update-function-code --function-name "$FUNCTION_NAME" \
        --zip-file fileb://dist/function.zip >/dev/null
    target=$(aws lambda publish-version --function-name "$FUNCTION_NAME" \
        --query Version --output text)
else
    current=1
    target=2
fi
cat <<APPSPEC
version: 0.0
Resources:
  - handler:
      Type: AWS::Lambda::Function
      Properties:
        Name: "$FUNCTION_NAME"
        Alias: live
        CurrentVersion: "$current"
        TargetVersion: "$target"
APPSPEC
