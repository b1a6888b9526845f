package pgtest

import (
	"context"
	"testing"
)

func TestPoolServesQueriesAndIsolatesDatabases(t *testing.T) {
	ctx := context.Background()
	a := Pool(t)
	if _, err := a.Exec(ctx, `CREATE TABLE rows (id int PRIMARY KEY, v text)`); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Exec(ctx, `INSERT INTO rows VALUES (1, 'one')`); err != nil {
		t.Fatal(err)
	}
	var v string
	if err := a.QueryRow(ctx, `SELECT v FROM rows WHERE id = 1`).Scan(&v); err != nil || v != "one" {
		t.Fatalf("read back %q, %v", v, err)
	}
	b := Pool(t)
	var n int
	if err := b.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE tablename = 'rows'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("a second database sees the first one's table")
	}
}
