// Package envvar parses environment variables for the functions' wiring.
// Every error names the variable and says what is wrong with its value, so a
// bad configuration fails at init with a message an operator can act on.
package envvar
