package compat

// WASI preview 1 constants (witx: typenames.witx of snapshot 01).

// Filetypes.
const (
	filetypeUnknown         = 0
	filetypeBlockDevice     = 1
	filetypeCharacterDevice = 2
	filetypeDirectory       = 3
	filetypeRegularFile     = 4
	filetypeSocketDgram     = 5
	filetypeSocketStream    = 6
	filetypeSymbolicLink    = 7
)

// fdflags.
const (
	fdflagAppend   = 1 << 0
	fdflagDsync    = 1 << 1
	fdflagNonblock = 1 << 2
	fdflagRsync    = 1 << 3
	fdflagSync     = 1 << 4
	fdflagsMask    = fdflagAppend | fdflagDsync | fdflagNonblock | fdflagRsync | fdflagSync
)

// oflags of path_open.
const (
	oflagCreat     = 1 << 0
	oflagDirectory = 1 << 1
	oflagExcl      = 1 << 2
	oflagTrunc     = 1 << 3
	oflagsMask     = oflagCreat | oflagDirectory | oflagExcl | oflagTrunc
)

// lookupflags.
const lookupSymlinkFollow = 1 << 0

// fstflags of the set_times functions.
const (
	fstAtim    = 1 << 0
	fstAtimNow = 1 << 1
	fstMtim    = 1 << 2
	fstMtimNow = 1 << 3
)

// Rights (only reported: the overlay enforces access with the OS's open
// modes and its grants, as wazero does, not with rights).
const (
	rightFdDatasync          = 1 << 0
	rightFdRead              = 1 << 1
	rightFdSeek              = 1 << 2
	rightFdFdstatSetFlags    = 1 << 3
	rightFdSync              = 1 << 4
	rightFdTell              = 1 << 5
	rightFdWrite             = 1 << 6
	rightFdAdvise            = 1 << 7
	rightFdAllocate          = 1 << 8
	rightPathCreateDirectory = 1 << 9
	rightPathCreateFile      = 1 << 10
	rightPathLinkSource      = 1 << 11
	rightPathLinkTarget      = 1 << 12
	rightPathOpen            = 1 << 13
	rightFdReaddir           = 1 << 14
	rightPathReadlink        = 1 << 15
	rightPathRenameSource    = 1 << 16
	rightPathRenameTarget    = 1 << 17
	rightPathFilestatGet     = 1 << 18
	rightPathFilestatSetSize = 1 << 19
	rightPathFilestatSetTime = 1 << 20
	rightFdFilestatGet       = 1 << 21
	rightFdFilestatSetSize   = 1 << 22
	rightFdFilestatSetTimes  = 1 << 23
	rightPathSymlink         = 1 << 24
	rightPathRemoveDirectory = 1 << 25
	rightPathUnlinkFile      = 1 << 26
	rightPollFdReadwrite     = 1 << 27
	rightSockShutdown        = 1 << 28
	rightSockAccept          = 1 << 29

	rightsFile = rightFdDatasync | rightFdRead | rightFdSeek | rightFdFdstatSetFlags |
		rightFdSync | rightFdTell | rightFdWrite | rightFdAdvise | rightFdAllocate |
		rightFdFilestatGet | rightFdFilestatSetSize | rightFdFilestatSetTimes | rightPollFdReadwrite
	rightsDir = rightFdFdstatSetFlags | rightFdSync | rightFdAdvise | rightPathCreateDirectory |
		rightPathCreateFile | rightPathLinkSource | rightPathLinkTarget | rightPathOpen |
		rightFdReaddir | rightPathReadlink | rightPathRenameSource | rightPathRenameTarget |
		rightPathFilestatGet | rightPathFilestatSetSize | rightPathFilestatSetTime |
		rightFdFilestatGet | rightFdFilestatSetTimes | rightPathSymlink |
		rightPathRemoveDirectory | rightPathUnlinkFile
	// A tty is a character device without seek and tell rights
	// (wasi-libc's isatty).
	rightsTTY    = rightsFile &^ (rightFdSeek | rightFdTell)
	rightsStream = rightFdRead | rightFdWrite | rightFdFdstatSetFlags | rightFdFilestatGet | rightPollFdReadwrite
	rightsSocket = rightsStream | rightSockShutdown | rightSockAccept
)

// whence of fd_seek.
const (
	whenceSet = 0
	whenceCur = 1
	whenceEnd = 2
)

// Clocks.
const (
	clockRealtime         = 0
	clockMonotonic        = 1
	clockProcessCputimeID = 2
	clockThreadCputimeID  = 3
)

// poll_oneoff: event types, subscription clock flags, event flags, and the
// sizes and offsets of subscription and event.
const (
	eventtypeClock   = 0
	eventtypeFdRead  = 1
	eventtypeFdWrite = 2

	subclockAbstime = 1 << 0

	eventFdReadwriteHangup = 1 << 0

	subscriptionSize     = 48
	subOffUserdata       = 0
	subOffTag            = 8
	subOffClockID        = 16
	subOffClockTimeout   = 24
	subOffClockPrecision = 32
	subOffClockFlags     = 40
	subOffFd             = 16

	eventSize      = 32
	evOffUserdata  = 0
	evOffError     = 8
	evOffType      = 10
	evOffNbytes    = 16
	evOffFlags     = 24
	fdstatSize     = 24
	filestatSize   = 64
	direntSize     = 24
	prestatSize    = 8
	preopentypeDir = 0
)

// sock_recv and sock_send flags, sock_shutdown's sdflags.
const (
	riflagRecvPeek          = 1 << 0
	riflagRecvWaitall       = 1 << 1
	roflagRecvDataTruncated = 1 << 0
	sdflagRD                = 1 << 0
	sdflagWR                = 1 << 1
)
