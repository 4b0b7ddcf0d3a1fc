# LaunchDarkly Data Export of mobile/staging into Kinesis stream ld-staging (eu-west-1), from ldexport.
# The role is in account 210987654321; LaunchDarkly assumes it to put records into the stream.

resource "aws_iam_role" "eu-staging" {
  name        = "ld-export"
  path        = "/data/"
  description = "LaunchDarkly Data Export into arn:aws:kinesis:eu-west-1:210987654321:stream/ld-staging (ldexport)"

  assume_role_policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Effect": "Allow",
          "Principal": {
            "AWS": "arn:aws:iam::554582317989:role/LaunchDarkly-data-export"
          },
          "Action": "sts:AssumeRole",
          "Condition": {
            "StringEquals": {
              "sts:ExternalId": "ld-mobile-staging"
            }
          }
        }
      ]
    }
  EOT
}

resource "aws_iam_role_policy" "eu-staging" {
  name = "ldexport-eu-staging-put-records"
  role = aws_iam_role.eu-staging.id

  policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Effect": "Allow",
          "Action": ["kinesis:PutRecord", "kinesis:PutRecords"],
          "Resource": ["arn:aws:kinesis:eu-west-1:210987654321:stream/ld-staging"]
        },
        {
          "Effect": "Allow",
          "Action": ["kms:GenerateDataKey"],
          "Resource": ["arn:aws:kms:eu-west-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab"]
        }
      ]
    }
  EOT
}

resource "launchdarkly_destination" "eu-staging" {
  project_key = "mobile"
  env_key     = "staging"
  name        = "eu-staging"
  kind        = "kinesis"
  config = {
    region      = "eu-west-1"
    role_arn    = aws_iam_role.eu-staging.arn
    stream_name = "ld-staging"
  }
  on = true

  # LaunchDarkly must not export before the role may write to the stream.
  depends_on = [aws_iam_role_policy.eu-staging]
}
