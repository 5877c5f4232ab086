#include "common/crash_log.hpp"

#include <execinfo.h>
#include <unistd.h>

#include <csignal>
#include <cstring>

namespace sudachi {
namespace {

constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
constexpr int kSignalCount = sizeof kSignals / sizeof kSignals[0];

struct sigaction g_previous[kSignalCount];
const char* g_program = "sudachi";
bool g_json = false;
// Set by the first fatal signal: a second one (a crash inside this handler, or in another
// thread at the same moment) goes straight to the previous handler.
volatile sig_atomic_t g_crashing = 0;

const char* signal_name(int sig) {
  switch (sig) {
    case SIGSEGV:
      return "SIGSEGV";
    case SIGBUS:
      return "SIGBUS";
    case SIGFPE:
      return "SIGFPE";
    case SIGILL:
      return "SIGILL";
    case SIGABRT:
      return "SIGABRT";
    default:
      return "signal";
  }
}

void write_all(const char* text) {
  std::size_t left = std::strlen(text);
  while (left > 0) {
    const ssize_t n = ::write(STDERR_FILENO, text, left);
    if (n <= 0) return;
    text += n;
    left -= static_cast<std::size_t>(n);
  }
}

// Decimal without printf (not async-signal-safe).
void write_number(int value) {
  char digits[12];
  int i = sizeof digits - 1;
  digits[i] = '\0';
  unsigned v = value < 0 ? 0u - static_cast<unsigned>(value) : static_cast<unsigned>(value);
  do {
    digits[--i] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0 && i > 1);
  if (value < 0) digits[--i] = '-';
  write_all(digits + i);
}

int slot_of(int sig) {
  for (int i = 0; i < kSignalCount; ++i) {
    if (kSignals[i] == sig) return i;
  }
  return -1;
}

void on_fatal_signal(int sig) {
  const int slot = slot_of(sig);
  if (!g_crashing) {
    g_crashing = 1;
    if (g_json) {
      write_all(
          "{\"level\":\"critical\",\"msg\":\"fatal signal\",\"event\":\"crash\",\"program\":\"");
      write_all(g_program);
      write_all("\",\"signal\":");
      write_number(sig);
      write_all(",\"name\":\"");
      write_all(signal_name(sig));
      write_all("\"}\n");
    } else {
      write_all("critical ");
      write_all(g_program);
      write_all(": fatal signal ");
      write_number(sig);
      write_all(" (");
      write_all(signal_name(sig));
      write_all("); backtrace follows\n");
    }
    void* frames[64];
    const int depth = ::backtrace(frames, 64);
    ::backtrace_symbols_fd(frames, depth, STDERR_FILENO);
  }
  // The previous handler (or the default action) reports and ends the process; re-raising
  // keeps the exit status a supervisor expects from this signal.
  if (slot >= 0) ::sigaction(sig, &g_previous[slot], nullptr);
  ::raise(sig);
}

}  // namespace

void install_crash_log(const char* program, bool json) {
  g_program = program;
  g_json = json;
  // backtrace() loads libgcc on first use, which allocates: do it now, not in the handler.
  void* warm[1];
  ::backtrace(warm, 1);
  struct sigaction action {};
  action.sa_handler = on_fatal_signal;
  sigemptyset(&action.sa_mask);
  // On the alternate stack if a sanitizer set one up (stack overflow); SA_NODEFER is not set,
  // so the signal stays blocked while the handler runs.
  action.sa_flags = SA_ONSTACK;
  for (int i = 0; i < kSignalCount; ++i) ::sigaction(kSignals[i], &action, &g_previous[i]);
}

}  // namespace sudachi
