// Package synthcheck holds the test that `make synth` works from a clean
// clone of the repository without AWS credentials: it copies the files a
// clone has (tracked and not ignored; no dist/, cdk.out/ or node_modules/)
// into an empty directory and runs `make synth` there with no AWS
// configuration at all, then checks the cloud assembly SAM reads.
package synthcheck
