package keys_test

import (
	"fmt"

	"github.com/lambdis/lambdis/shared/keys"
)

// Every key of one tag shares a Redis Cluster hash slot, so one script may
// touch all of them.
func ExampleBuilder_Key() {
	kb, err := keys.New("myapp") // "" means the default prefix, lambdis
	if err != nil {
		panic(err)
	}
	k, _ := kb.Key("q", "email", "stream")
	fmt.Println(k)
	k, _ = kb.Key("rl", "u:alice", "per_minute")
	fmt.Println(k)
	// Tags come from clients and are validated: braces would change the
	// hash tag.
	_, err = kb.Key("rl", "evil}{tag")
	fmt.Println(err != nil)
	// Output:
	// myapp:q:{email}:stream
	// myapp:rl:{u:alice}:per_minute
	// true
}

// FromEnv reads LAMBDIS_KEY_PREFIX.
func ExampleFromEnv() {
	getenv := func(name string) string { return map[string]string{"LAMBDIS_KEY_PREFIX": "staging"}[name] }
	kb, err := keys.FromEnv(getenv)
	if err != nil {
		panic(err)
	}
	fmt.Println(kb.Prefix())
	// Output: staging
}
