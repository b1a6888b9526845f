package drainer

import (
	"testing"

	"github.com/lambdis/lambdis/shared/rietest"
)

// TestMain removes the bootstraps rietest.Build made.
func TestMain(m *testing.M) { rietest.Main(m) }
