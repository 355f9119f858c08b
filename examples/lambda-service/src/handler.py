"""The lambda_canary example's function: answers who it is."""


def handler(event, context):
    return {"statusCode": 200, "body": "service " + str((event or {}).get("name", "anonymous"))}
