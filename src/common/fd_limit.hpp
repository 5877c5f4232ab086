#pragma once

#include <cstddef>

namespace sudachi {

// Raises the soft limit on open files to the hard limit (the kernel default soft limit of
// 1024 caps a server at about a thousand connections however much the operator allowed) and
// returns the resulting soft limit. 0 when the limit cannot be read.
std::size_t raise_open_file_limit();

// The soft limit on open files as it is now (0 when unreadable).
std::size_t open_file_limit();

}  // namespace sudachi
