package send

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/ldexport/ldexport/pkg/awserr"
	"github.com/ldexport/ldexport/pkg/sender"
)

// rateControl is what the sender paces by: the stream's open shards, and
// the client that lists them again after a reshard. A nil map means pacing
// by throttling feedback alone.
type rateControl struct {
	shards *sender.ShardMap
	lister sender.ListShardsAPI
}

// loadRateControl lists the stream's shards. When that is not allowed
// (LaunchDarkly's minimal policy grants only kinesis:PutRecord(s)) or fails,
// it says so on errOut and returns a control without a map: the sender then
// adapts one stream-wide rate to throttling, and --balance is ignored.
func loadRateControl(ctx context.Context, lister sender.ListShardsAPI, stream string, balance bool, errOut io.Writer) rateControl {
	m, err := sender.LoadShardMap(ctx, lister, stream)
	if err == nil {
		return rateControl{shards: m, lister: lister}
	}
	why := awserr.Short(err)
	if errors.Is(err, sender.ErrShardsNotListable) {
		why = fmt.Sprintf("%v; grant kinesis:ListShards on the stream for per-shard pacing", err)
	}
	fmt.Fprintf(errOut, "Note: cannot list the shards of stream %q (%s): pacing the whole stream by throttling feedback instead\n", stream, why)
	if balance {
		fmt.Fprintf(errOut, "Warning: --balance ignored: it needs the shard map; random partition keys still spread records over the shards\n")
	}
	return rateControl{}
}
