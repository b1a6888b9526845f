// Package shelltest runs a document's shell examples in one bash, in order,
// as a reader would type them, for the tests that check a README's
// commands (cmd/lambdis TestREADMEExamples, events TestREADMEScript).
//
// Start starts bash (no profile, no rc) in a directory with the given
// environment; Run runs one command (or a block of lines) and returns what
// it printed on stdout and its exit status; Go does the same without
// waiting, for a test that must serve the command meanwhile. The shell's
// stderr is kept and logged if the test fails; when the test ends, the
// shell's background jobs are killed and the shell exits.
package shelltest
