#pragma once

namespace sudachi {

// On SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT: writes one log line naming the signal (as a
// JSON object when `json`, to match the server's log format) and a backtrace to stderr, then
// hands the signal to whatever handler was installed before (a sanitizer's report, or the
// default action: core dump and the signal's exit status). Only async-signal-safe calls run
// in the handler, except the backtrace, which is best effort. Call once, at start-up.
void install_crash_log(const char* program, bool json);

}  // namespace sudachi
