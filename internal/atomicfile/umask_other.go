//go:build !unix

package atomicfile

import "os"

// umask is the mask of the usual umask, on systems that have none.
const umask os.FileMode = 0o022
