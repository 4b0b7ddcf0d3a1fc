package moto

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

func TestMain(m *testing.M) { Main(m) }

func TestStartAnswersSTSAndResetsState(t *testing.T) {
	s := Start(t)
	ctx := context.Background()
	id, err := s.STS().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(id.Account); got != Account {
		t.Fatalf("account = %s, want %s", got, Account)
	}
	if _, err := s.IAM().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("left-over")}); err != nil {
		t.Fatal(err)
	}
	s = Start(t) // the same server, reset
	_, err = s.IAM().GetUser(ctx, &iam.GetUserInput{UserName: aws.String("left-over")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "NoSuchEntity" {
		t.Fatalf("after a reset GetUser = %v, want NoSuchEntity", err)
	}
}

func TestEnforceIAMDeniesUnknownKeys(t *testing.T) {
	s := Start(t)
	s.EnforceIAM(t)
	_, err := s.IAM().ListRoles(context.Background(), &iam.ListRolesInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidClientTokenId" {
		t.Fatalf("ListRoles with an unknown key under enforcement = %v, want InvalidClientTokenId", err)
	}
	Start(t) // enforcement off again
	if _, err := s.IAM().ListRoles(context.Background(), &iam.ListRolesInput{}); err != nil {
		t.Fatalf("after Start, enforcement is still on: %v", err)
	}
}
