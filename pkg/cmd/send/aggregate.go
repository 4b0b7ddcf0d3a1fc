package send

import (
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/sender"
	"github.com/ldexport/ldexport/pkg/shardcalc"
	"github.com/spf13/cobra"
)

// checkAggregateFlags checks --aggregate and --aggregate-max-bytes.
func checkAggregateFlags(cmd *cobra.Command, opts *SendOptions) error {
	if cmd.Flags().Changed("aggregate-max-bytes") && !opts.Aggregate {
		return cmdutil.FlagErrorf("--aggregate-max-bytes needs --aggregate")
	}
	if !opts.Aggregate {
		return nil
	}
	if err := shardcalc.ValidateAggregateMaxBytes(int64(opts.AggregateMaxBytes)); err != nil {
		return cmdutil.FlagErrorf("--aggregate-max-bytes: %v", err)
	}
	if opts.Balance {
		return cmdutil.FlagErrorf("--aggregate sends each aggregate to the shard of its records' keys: it cannot be used with --balance")
	}
	return nil
}

// aggregateConfig sets the sender's aggregation from the flags; limit is the
// stream's record size limit, which no aggregate exceeds.
func aggregateConfig(opts *SendOptions, cfg *sender.Config, limit int) {
	cfg.Aggregate = opts.Aggregate
	cfg.AggregateMaxBytes = opts.AggregateMaxBytes
	cfg.MaxRecordBytes = limit
}
