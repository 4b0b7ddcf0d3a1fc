package kinesistest

import (
	"encoding/json"
	"reflect"
	"testing"
)

var decodeCases = []struct {
	name     string
	body     string
	wantFast bool // whether the fast decoder handles it
}{
	{"SDK shape", `{"Records":[{"Data":"eA==","PartitionKey":"k"},{"Data":"","ExplicitHashKey":"0","PartitionKey":"é"}],"StreamName":"s"}`, true},
	{"spaces and ARN", " {\n \"StreamARN\" : \"arn:aws:kinesis:us-east-1:000000000000:stream/s\" , \"Records\" : [ ] } ", true},
	{"empty object", `{}`, true},
	{"nulls", `{"StreamName":null,"Records":[null,{"Data":null,"PartitionKey":null,"ExplicitHashKey":null}]}`, true},
	{"null records", `{"Records":null}`, true},
	{"duplicate key, last wins", `{"StreamName":"a","StreamName":"b","Records":[]}`, true},
	{"escaped key", `{"StreamName":"a\u0062","Records":[]}`, false},
	{"unknown key", `{"StreamName":"a","Other":1}`, false},
	{"lower-case key", `{"streamname":"a"}`, false},
	{"bad base64", `{"Records":[{"Data":"!!","PartitionKey":"k"}]}`, false},
	{"trailing garbage", `{"StreamName":"a"} x`, false},
	{"truncated", `{"StreamName":"a","Records":[{"Data":"eA=="`, false},
	{"number name", `{"StreamName":1}`, false},
	{"invalid UTF-8 key", "{\"Records\":[{\"Data\":\"\",\"PartitionKey\":\"\xff\"}]}", false},
}

// TestDecodePutRecordsMatchesEncodingJSON checks that the fast decoder
// either declines or stores exactly what encoding/json stores.
func TestDecodePutRecordsMatchesEncodingJSON(t *testing.T) {
	for _, tt := range decodeCases {
		t.Run(tt.name, func(t *testing.T) {
			var fast putRecordsInput
			ok := decodePutRecordsFast([]byte(tt.body), &fast)
			if ok != tt.wantFast {
				t.Fatalf("fast decoder handled it: %v, want %v", ok, tt.wantFast)
			}
			var slow, got putRecordsInput
			slowErr := json.Unmarshal([]byte(tt.body), &slow)
			err := decodePutRecords([]byte(tt.body), &got)
			if (err != nil) != (slowErr != nil) || (err == nil && !reflect.DeepEqual(got, slow)) {
				t.Errorf("decodePutRecords = %+v, %v; encoding/json = %+v, %v", got, err, slow, slowErr)
			}
		})
	}
}

func FuzzDecodePutRecords(f *testing.F) {
	for _, tt := range decodeCases {
		f.Add([]byte(tt.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var fast putRecordsInput
		if !decodePutRecordsFast(body, &fast) {
			return
		}
		var slow putRecordsInput
		if err := json.Unmarshal(body, &slow); err != nil {
			t.Fatalf("fast decoder accepted %q, encoding/json says %v", body, err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q: fast %+v, encoding/json %+v", body, fast, slow)
		}
	})
}

// A scripted error code comes with AWS's status when the script gives none.
func TestScriptedErrorStatusFollowsAWS(t *testing.T) {
	for code, want := range map[string]int{"InternalFailure": 500, "ServiceUnavailable": 503, "ProvisionedThroughputExceededException": 400, "AccessDeniedException": 400} {
		if got := errorStatus(code); got != want {
			t.Errorf("errorStatus(%q) = %d, want %d", code, got, want)
		}
	}
}
