package plugin

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// createRegion creates a region of size bytes: a memfd sealed against
// shrinking and growing (so that neither side can make the other's mapping
// fault), mapped shared. The descriptor is close-on-exec; passing it as an
// extra file of a command gives the child its own copy.
func createRegion(size int) (*os.File, []byte, error) {
	fd, err := unix.MemfdCreate("forkrl-plugin", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: memfd_create: %v", errNoSharedMemory, err)
	}
	f := os.NewFile(uintptr(fd), "forkrl-plugin-shm")
	fail := func(what string, err error) (*os.File, []byte, error) {
		_ = f.Close()
		return nil, nil, fmt.Errorf("%w: %s: %v", errNoSharedMemory, what, err)
	}
	if err := unix.Ftruncate(fd, int64(size)); err != nil {
		return fail("ftruncate", err)
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, unix.F_SEAL_SHRINK|unix.F_SEAL_GROW|unix.F_SEAL_SEAL); err != nil {
		return fail("sealing", err)
	}
	m, err := unix.Mmap(fd, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return fail("mmap", err)
	}
	return f, m, nil
}

// openRegion maps the region that fd refers to, in a plugin process, after
// checking its size and that it cannot shrink; it closes fd.
func openRegion(fd int, size int) ([]byte, error) {
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, err
	}
	if st.Size != int64(size) {
		return nil, fmt.Errorf("the region has %d bytes, want %d", st.Size, size)
	}
	seals, err := unix.FcntlInt(uintptr(fd), unix.F_GET_SEALS, 0)
	if err != nil {
		return nil, err
	}
	if seals&unix.F_SEAL_SHRINK == 0 {
		return nil, fmt.Errorf("the region is not sealed against shrinking")
	}
	return unix.Mmap(fd, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
}

// unmapRegion unmaps a region.
func unmapRegion(m []byte) error { return unix.Munmap(m) }
