package queue

import (
	"context"
	"errors"
	"fmt"
	"regexp"
)

// Dead letters are selected, for Redrive and Purge, by their entry id on the
// dead-letter stream (1700000000000-0) or by their job id (<queue>:<32 hex>);
// `lambdis queue redrive|purge-dead --id` and the admin API's
// {"ids": [...]} both take either, through SelectDeadLetters.

// deadScanPage is the page size when looking dead letters up by job id.
const deadScanPage = 500

// entryIDPattern is a whole stream entry id, ms-seq: a prefix such as "ms"
// alone would select different entries in XRANGE and XDEL.
var entryIDPattern = regexp.MustCompile(`^[0-9]{1,20}-[0-9]{1,20}$`)

// ErrInvalidDeadLetterRef is wrapped by ValidateDeadLetterRef's errors.
var ErrInvalidDeadLetterRef = errors.New("neither an entry id (1700000000000-0) nor a job id (<queue>:<32 hex>)")

// IsEntryID reports whether s is a whole stream entry id (ms-seq), as a
// dead letter's EntryID is and as DeadLetters' after takes.
func IsEntryID(s string) bool { return entryIDPattern.MatchString(s) }

// ValidateDeadLetterRef checks that ref names a dead letter by entry id or
// job id.
func ValidateDeadLetterRef(ref string) error {
	if IsEntryID(ref) {
		return nil
	}
	if _, err := QueueOf(ref); err != nil {
		return fmt.Errorf("%q: %w", ref, ErrInvalidDeadLetterRef)
	}
	return nil
}

// SelectDeadLetters turns refs (entry ids or job ids, see
// ValidateDeadLetterRef) into the entry ids of queue's dead letters, each
// once, for Redrive and Purge; missing lists the refs that match no dead
// letter of the queue. An entry id is looked up directly, job ids by one
// scan of the dead-letter stream.
func (c *Client) SelectDeadLetters(ctx context.Context, queue string, refs []string) (entries, missing []string, err error) {
	for _, ref := range refs {
		if err := ValidateDeadLetterRef(ref); err != nil {
			return nil, nil, err
		}
	}
	seen := map[string]bool{}
	add := func(e string) {
		if !seen[e] {
			seen[e] = true
			entries = append(entries, e)
		}
	}
	byJob := map[string]bool{}
	for _, ref := range refs {
		if IsEntryID(ref) {
			d, err := c.DeadLetter(ctx, queue, ref)
			switch {
			case errors.Is(err, ErrNotFound):
				missing = append(missing, ref)
			case err != nil:
				return nil, nil, err
			default:
				add(d.EntryID)
			}
			continue
		}
		byJob[ref] = false
	}
	if len(byJob) > 0 {
		after := ""
		for {
			page, err := c.DeadLetters(ctx, queue, deadScanPage, after)
			if err != nil {
				return nil, nil, err
			}
			for _, d := range page {
				if _, ok := byJob[d.JobID]; ok {
					byJob[d.JobID] = true
					add(d.EntryID)
				}
			}
			if len(page) < deadScanPage {
				break
			}
			after = page[len(page)-1].EntryID
		}
		for _, ref := range refs {
			if found, ok := byJob[ref]; ok && !found {
				missing = append(missing, ref)
				byJob[ref] = true // report once
			}
		}
	}
	return entries, missing, nil
}

// RedriveDead redrives queue's dead letters: every one with all, else those
// refs select (SelectDeadLetters). It returns the job ids redriven and the
// refs that matched no dead letter; refs that match none redrive nothing
// (never everything). The command `lambdis queue redrive` and the admin
// API's POST /admin/queues/{queue}/dead/redrive are this call.
func (c *Client) RedriveDead(ctx context.Context, queue string, all bool, refs []string) (redriven, missing []string, err error) {
	var entries []string
	if !all {
		if entries, missing, err = c.SelectDeadLetters(ctx, queue, refs); err != nil {
			return nil, nil, err
		}
		if len(entries) == 0 {
			return nil, missing, nil
		}
	}
	redriven, err = c.Redrive(ctx, queue, entries...)
	return redriven, missing, err
}

// PurgeDead deletes queue's dead letters for good: every one with all, else
// those refs select. It returns how many were deleted and the refs that
// matched no dead letter. `lambdis queue purge-dead` and the admin API's
// DELETE /admin/queues/{queue}/dead are this call.
func (c *Client) PurgeDead(ctx context.Context, queue string, all bool, refs []string) (deleted int64, missing []string, err error) {
	var entries []string
	if !all {
		if entries, missing, err = c.SelectDeadLetters(ctx, queue, refs); err != nil {
			return 0, nil, err
		}
		if len(entries) == 0 {
			return 0, missing, nil
		}
	}
	deleted, err = c.Purge(ctx, queue, entries...)
	return deleted, missing, err
}
