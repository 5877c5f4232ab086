#include "client/p2p/peer_session.hpp"

#include <algorithm>
#include <cstring>

namespace sudachi::client::p2p {

namespace {

constexpr std::int64_t kFar = 3'600'000;
// A nomination in flight holds the failure timer this much longer: giving up while the
// controlled side already switched to the pair would leave the two sides on different paths.
constexpr std::int64_t kNominateGraceMs = 500;
constexpr std::int64_t kLossTimeoutMs = 2000;

}  // namespace

PeerSession::PeerSession(std::string local_id, std::string peer_id, Secret secret, frame::Tag tag,
                         const SessionConfig& config, SessionOutputs& out, std::int64_t now_ms)
    : local_id_(std::move(local_id)),
      peer_id_(std::move(peer_id)),
      secret_(secret),
      tag_(tag),
      config_(config),
      out_(out),
      controlling_(local_id_ < peer_id_),
      created_ms_(now_ms),
      gather_deadline_ms_(now_ms + config.gather_timeout_ms),
      primed_(config.priming_ttl <= 0) {}

void PeerSession::log(LogLevel level, std::string_view message) {
  out_.log(level, peer_id_, message);
}

// ---- gathering and signalling ---------------------------------------------------------------

void PeerSession::update_local(const LocalInfo& local, std::int64_t now_ms) {
  if (closed_) return;
  local_ = local;
  if (state_ == PeerState::gathering) {
    if (local_.gathering_done) finish_gathering(now_ms);
    return;
  }
  // A late server-reflexive address: tell the peer (complete signal, deduplicated). A late
  // verdict that our UDP is blocked: stop probing into the void.
  send_own_signal();
  maybe_skip_direct(now_ms);
}

void PeerSession::finish_gathering(std::int64_t now_ms) {
  state_ = PeerState::checking;
  failure_deadline_ms_ = now_ms + config_.failure_timeout_ms;
  if (remote_) start_checks(now_ms);
  send_own_signal();
  maybe_skip_direct(now_ms);
}

void PeerSession::send_own_signal() {
  if (state_ == PeerState::gathering || signals_sent_ >= config_.max_signals) return;
  SignalMessage m;
  m.secret = secret_;
  m.tag = tag_;
  m.udp = local_.udp_ok;
  m.primed = primed_;
  m.candidates = local_.host;
  if (local_.srflx &&
      std::none_of(m.candidates.begin(), m.candidates.end(),
                   [&](const Candidate& c) { return c.address == local_.srflx->address; })) {
    m.candidates.push_back(*local_.srflx);
  }
  if (m.candidates.size() > kMaxRemoteCandidates) m.candidates.resize(kMaxRemoteCandidates);
  std::string text = encode_signal(m);
  if (text == last_signal_) return;
  last_signal_ = text;
  ++signals_sent_;
  out_.send_signal(peer_id_, std::move(text));
}

bool PeerSession::remote_needs_tcp() const {
  return !config_.allow_udp_relay || !local_.udp_ok || (remote_ && !remote_->udp);
}

// When direct cannot work (a side has no UDP) or is not wanted, go to the relay at once
// instead of probing into the void for failure_timeout_ms.
void PeerSession::maybe_skip_direct(std::int64_t now_ms) {
  if (state_ != PeerState::checking) return;
  if (!config_.allow_direct) {
    request_relay(now_ms, true, "direct paths disabled");
  } else if (!local_.udp_ok) {
    request_relay(now_ms, true, "our UDP is blocked");
  } else if (remote_ && !remote_->udp) {
    request_relay(now_ms, true, "the peer's UDP is blocked");
  }
}

void PeerSession::reset_remote() {
  remote_.reset();
  replay_ = frame::ReplayWindow{};
  remote_primed_ = false;
  peer_heard_ = false;
  pairs_.clear();
  tx_ = {};
  nominate_at_ms_ = -1;
  nominating_.reset();
  selected_.reset();
  rtt_.reset();
  loss_.reset();
  if (relay_open_) out_.close_relay(peer_id_);
  relay_open_ = relay_ready_ = relay_connected_ = false;
  relay_session_id_.clear();
  relay_requests_ = 0;
  primed_ = config_.priming_ttl <= 0;
  last_signal_.clear();
}

void PeerSession::on_signal(const SignalMessage& signal, std::int64_t now_ms) {
  if (closed_) return;
  if (remote_ && remote_->secret != signal.secret) {
    // The peer started over (new process, or it removed and re-added us): so do we, except
    // for our own secret and gathering.
    log(LogLevel::info, "peer restarted its side; checking again");
    const bool was_connected = state_ == PeerState::direct || state_ == PeerState::relay;
    reset_remote();
    if (state_ != PeerState::gathering) {
      state_ = PeerState::checking;
      failure_deadline_ms_ = now_ms + config_.failure_timeout_ms;
    }
    if (was_connected)
      out_.emit(
          {PeerEvent::Kind::path_changed, peer_id_, PathKind::none, connect_ms_, "peer restarted"});
  }
  const bool first = !remote_;
  if (first) {
    key_ = derive_pair_key(local_id_, secret_, peer_id_, signal.secret);
    remote_known_ms_ = now_ms;
  }
  remote_ = signal;
  remote_primed_ = remote_primed_ || signal.primed;
  if (state_ == PeerState::gathering) return;  // checks start when our signal goes out
  if (first) {
    // The peer's signal came after ours: give checking its full time from now on (bounded).
    failure_deadline_ms_ = std::max(failure_deadline_ms_, now_ms + config_.failure_timeout_ms);
    if (state_ == PeerState::checking) start_checks(now_ms);
    maybe_skip_direct(now_ms);
  } else if (state_ == PeerState::checking) {
    start_checks(now_ms);
    maybe_skip_direct(now_ms);  // e.g. the peer learnt late that its UDP is blocked
  }
}

// ---- checks -----------------------------------------------------------------------------

void PeerSession::start_checks(std::int64_t now_ms) {
  if (!config_.allow_direct) return;  // no pairs, no priming: the relay is the only path
  rebuild_pairs(now_ms);
  prime(now_ms);
}

void PeerSession::rebuild_pairs(std::int64_t now_ms) {
  if (!remote_) return;
  std::vector<Candidate> local = local_.host;
  const auto specs = build_pairs(local, remote_->candidates, controlling_);
  // Spread the first probes over one interval so that pairs do not go out in bursts.
  const std::int64_t step =
      specs.empty() ? 0 : config_.probe_interval_ms / static_cast<std::int64_t>(specs.size());
  std::int64_t offset = 0;
  for (const PairSpec& s : specs) {
    bool remote_is_host = false;
    for (const Candidate& c : remote_->candidates)
      remote_is_host = remote_is_host || (c.type == CandidateType::host && c.address == s.remote);
    if (Pair* p = find_pair(s.remote)) {
      p->priority = std::max(p->priority, s.priority);
      continue;
    }
    if (pairs_.size() >= kMaxPairs) break;
    Pair p;
    p.remote = s.remote;
    p.remote_type = s.remote_type;
    p.priority = s.priority;
    p.gated = s.remote_type == CandidateType::srflx && !remote_is_host;
    p.next_probe_ms = now_ms + offset;
    offset += step;
    pairs_.push_back(p);
  }
  std::stable_sort(pairs_.begin(), pairs_.end(),
                   [](const Pair& a, const Pair& b) { return a.priority > b.priority; });
}

void PeerSession::prime(std::int64_t now_ms) {
  if (primed_ || !remote_) return;
  // TTL-limited CHECKs: they create our NAT's mapping toward each public address of the
  // peer and expire in the network before they reach the peer's NAT (no entry there that
  // would steal the port our mapping needs).
  for (const Pair& p : pairs_) {
    if (!p.gated) continue;
    send_check(p.remote, TxKind::probe, false, now_ms, config_.priming_ttl);
  }
  primed_ = true;
  send_own_signal();
}

bool PeerSession::can_probe(const Pair& p, std::int64_t now_ms) const {
  if (!p.gated || p.received || peer_heard_) return true;
  return primed_ && (remote_primed_ || now_ms - remote_known_ms_ >= config_.prime_wait_ms);
}

PeerSession::Pair* PeerSession::find_pair(const Endpoint& remote) {
  for (Pair& p : pairs_)
    if (p.remote == remote) return &p;
  return nullptr;
}

PeerSession::Pair* PeerSession::add_prflx(const Endpoint& remote, std::int64_t now_ms) {
  if (pairs_.size() >= kMaxPairs || !is_probe_target(remote)) return nullptr;
  Pair p;
  p.remote = remote;
  p.remote_type = CandidateType::prflx;
  std::uint32_t local_priority = 0;
  for (const Candidate& c : local_.host) local_priority = std::max(local_priority, c.priority);
  const std::uint32_t remote_priority = candidate_priority(CandidateType::prflx, 65535);
  p.priority = controlling_ ? pair_priority(local_priority, remote_priority)
                            : pair_priority(remote_priority, local_priority);
  p.next_probe_ms = now_ms;
  pairs_.push_back(p);
  std::stable_sort(pairs_.begin(), pairs_.end(),
                   [](const Pair& a, const Pair& b) { return a.priority > b.priority; });
  return find_pair(remote);
}

void PeerSession::send_check(const Endpoint& to, TxKind kind, bool nominate, std::int64_t now_ms,
                             int ttl) {
  frame::Check c;
  c.from_controlling = controlling_;
  c.nominate = nominate;
  c.receiver_tag = remote_->tag;
  c.seq = next_seq_++;
  c.address = to;
  const std::size_t n = frame::encode_check(buf_, c, key_);
  tx_[c.seq % tx_.size()] = Transaction{c.seq, now_ms, to, kind};
  if (kind == TxKind::keepalive) loss_.sent(c.seq, now_ms);
  out_.send_direct(peer_id_, to, {buf_.data(), n}, ttl);
}

void PeerSession::send_relay_check(std::int64_t now_ms) {
  frame::Check c;
  c.from_controlling = controlling_;
  c.receiver_tag = remote_->tag;
  c.seq = next_seq_++;
  const std::size_t n = frame::encode_check(buf_, c, key_);
  const TxKind kind = relay_connected_ ? TxKind::keepalive : TxKind::relay_check;
  tx_[c.seq % tx_.size()] = Transaction{c.seq, now_ms, Endpoint{}, kind};
  if (kind == TxKind::keepalive) loss_.sent(c.seq, now_ms);
  out_.send_relay(peer_id_, {buf_.data(), n});
}

void PeerSession::send_ack(const frame::Check& check, const Endpoint& from, bool via_relay) {
  frame::Check a;
  a.ack = true;
  a.from_controlling = controlling_;
  a.nominate = check.nominate;
  a.receiver_tag = remote_->tag;
  a.seq = next_seq_++;
  a.echo = check.seq;
  if (!via_relay) a.address = from;
  const std::size_t n = frame::encode_check(buf_, a, key_);
  if (via_relay) {
    out_.send_relay(peer_id_, {buf_.data(), n});
  } else {
    out_.send_direct(peer_id_, from, {buf_.data(), n}, 0);
  }
}

void PeerSession::on_direct_frame(const Endpoint& from, std::span<const std::uint8_t> bytes,
                                  std::int64_t now_ms) {
  // Direct paths off: nothing that arrives directly is answered or delivered. Answering the
  // peer's checks would let it nominate a pair, and following a nomination would put us on a
  // path the policy forbids (both sides meet on the relay instead, through use:relay).
  if (closed_ || bytes.empty() || !config_.allow_direct) return;
  if (static_cast<frame::Type>(bytes[0]) == frame::Type::data) {
    // Data is not authenticated per datagram: it is accepted only from the address that a
    // nominated, authenticated pair proved (as the relay accepts only bound addresses).
    if (!selected_ || from != *selected_ || bytes.size() < frame::kDataHeaderSize) return;
    const auto payload = bytes.subspan(frame::kDataHeaderSize);
    ++datagrams_received_;
    bytes_received_ += payload.size();
    out_.deliver(peer_id_, payload);
    return;
  }
  if (!remote_) return;  // no key yet: nothing can be verified
  frame::Check c;
  if (frame::parse_check(bytes, key_, c) != frame::CheckParse::ok) return;
  if (c.receiver_tag != tag_ || c.from_controlling == controlling_) return;  // reflected
  if (!replay_.accept(c.seq)) return;
  if (c.ack) {
    handle_ack(c, from, false, now_ms);
  } else {
    handle_check(c, from, false, now_ms);
  }
}

void PeerSession::on_relay_frame(std::span<const std::uint8_t> bytes, std::int64_t now_ms) {
  if (closed_ || bytes.empty() || !relay_open_) return;
  const auto header = frame::peek(bytes);
  if (!header || header->tag != tag_) return;
  if (header->type == frame::Type::data) {
    if (!relay_ready_) return;
    const auto payload = bytes.subspan(frame::kDataHeaderSize);
    ++datagrams_received_;
    bytes_received_ += payload.size();
    out_.deliver(peer_id_, payload);
    return;
  }
  if (!remote_) return;
  frame::Check c;
  if (frame::parse_check(bytes, key_, c) != frame::CheckParse::ok) return;
  if (c.from_controlling == controlling_ || !replay_.accept(c.seq)) return;
  if (c.ack) {
    handle_ack(c, Endpoint{}, true, now_ms);
  } else {
    handle_check(c, Endpoint{}, true, now_ms);
  }
}

void PeerSession::handle_check(const frame::Check& check, const Endpoint& from, bool via_relay,
                               std::int64_t now_ms) {
  if (state_ == PeerState::failed) return;
  send_ack(check, from, via_relay);
  if (via_relay) {
    if (relay_connected_) last_heard_ms_ = now_ms;
    return;
  }
  peer_heard_ = true;
  if (selected_ && from == *selected_) last_heard_ms_ = now_ms;
  Pair* pair = find_pair(from);
  if (pair == nullptr) {
    // Peer-reflexive: the peer reaches us from an address it could not know (a symmetric NAT
    // mapped it anew for us). Answering it, and probing it, is how that peer gets through.
    pair = add_prflx(from, now_ms);
    if (pair != nullptr) log(LogLevel::debug, "learned peer-reflexive " + from.to_string());
  }
  if (pair != nullptr) {
    pair->received = true;
    // Triggered check (RFC 8445 §7.3.1.4): probe back at once instead of at the pair's turn.
    if (state_ == PeerState::checking && !pair->succeeded && now_ms - pair->last_sent_ms >= 5) {
      pair->last_sent_ms = now_ms;
      pair->next_probe_ms = now_ms + config_.probe_interval_ms;
      send_check(pair->remote, TxKind::probe, false, now_ms);
    }
  }
  // The controlled side follows the controlling side's nomination, also when it had already
  // given up on direct: both must end on the same path.
  if (check.nominate && !controlling_ && state_ != PeerState::gathering && config_.allow_direct) {
    if (!selected_ || *selected_ != from || state_ != PeerState::direct) go_direct(from, now_ms);
  }
}

void PeerSession::handle_ack(const frame::Check& ack, const Endpoint& from, bool via_relay,
                             std::int64_t now_ms) {
  Transaction& tx = tx_[ack.echo % tx_.size()];
  if (tx.seq != ack.echo || ack.echo == 0) return;  // not ours, or already answered
  const Transaction t = tx;
  tx.seq = 0;
  const bool relay_tx = !t.target.valid();
  if (relay_tx != via_relay || (!via_relay && t.target != from)) return;  // asymmetric answer
  const double rtt = static_cast<double>(now_ms - t.sent_ms);

  if (via_relay) {
    last_heard_ms_ = now_ms;
    if (t.kind == TxKind::keepalive) {
      loss_.answered(t.seq);
      if (state_ == PeerState::relay) rtt_.sample(rtt);
    }
    if (t.kind == TxKind::relay_check && state_ == PeerState::relay_requested && relay_ready_) {
      rtt_.sample(rtt);
      relay_connected(now_ms);
    }
    return;
  }
  peer_heard_ = true;
  if (selected_ && from == *selected_) {
    last_heard_ms_ = now_ms;
    if (t.kind == TxKind::keepalive) {
      loss_.answered(t.seq);
      rtt_.sample(rtt);
    }
  }
  Pair* pair = find_pair(from);
  if (pair == nullptr) return;
  pair->succeeded = true;
  pair->rtt_ms = rtt;
  if (!controlling_) {
    if (state_ == PeerState::checking) rtt_.sample(rtt);
    return;
  }
  if (t.kind == TxKind::nominate && ack.nominate && nominating_ && *nominating_ == from) {
    rtt_.sample(rtt);
    go_direct(from, now_ms);
    return;
  }
  if (state_ == PeerState::checking && nominate_at_ms_ < 0 && !nominating_) {
    // Wait a moment for a better pair to answer, unless this one is the best there is.
    const bool best = !pairs_.empty() && pairs_.front().remote == from;
    nominate_at_ms_ = best ? now_ms : now_ms + config_.nominate_settle_ms;
  }
}

// ---- transitions ----------------------------------------------------------------------------

void PeerSession::connected(PathKind path, std::int64_t now_ms) {
  const std::uint32_t latency = static_cast<std::uint32_t>(std::max(0.0, rtt_.srtt_ms() + 0.5));
  out_.report_success(peer_id_, path, latency);
  if (!ever_connected_) {
    ever_connected_ = true;
    connect_ms_ = now_ms - created_ms_;
    out_.emit({PeerEvent::Kind::connected, peer_id_, path, connect_ms_, {}});
  } else {
    out_.emit({PeerEvent::Kind::path_changed, peer_id_, path, connect_ms_, {}});
  }
}

void PeerSession::go_direct(const Endpoint& remote, std::int64_t now_ms) {
  const bool was_direct = state_ == PeerState::direct;
  selected_ = remote;
  nominating_.reset();
  nominate_at_ms_ = -1;
  last_heard_ms_ = now_ms;
  next_keepalive_ms_ = now_ms + config_.keepalive_interval_ms;
  state_ = PeerState::direct;
  if (relay_open_) {
    out_.close_relay(peer_id_);
    relay_open_ = relay_ready_ = relay_connected_ = false;
  }
  if (was_direct) {
    log(LogLevel::info, "direct path moved to " + remote.to_string());
    return;
  }
  log(LogLevel::info, "direct path via " + remote.to_string());
  connected(PathKind::direct, now_ms);
}

void PeerSession::request_relay(std::int64_t now_ms, bool report, std::string_view why) {
  if (report && relay_requests_ >= config_.max_relay_requests) {
    fail(std::string("relay requested too often; last: ") + std::string(why));
    return;
  }
  log(LogLevel::info, std::string("using the relay: ") + std::string(why));
  const bool was_direct = state_ == PeerState::direct;
  state_ = PeerState::relay_requested;
  selected_.reset();
  nominating_.reset();
  nominate_at_ms_ = -1;
  if (relay_open_) {
    out_.close_relay(peer_id_);
    relay_open_ = relay_ready_ = relay_connected_ = false;
  }
  relay_session_id_.clear();
  if (report) {
    ++relay_requests_;
    out_.report_failure(peer_id_);
  }
  relay_deadline_ms_ = now_ms + config_.relay_request_timeout_ms;
  if (was_direct)
    out_.emit(
        {PeerEvent::Kind::path_changed, peer_id_, PathKind::none, connect_ms_, "direct path lost"});
}

void PeerSession::on_use_relay(const RelayOffer& offer, std::int64_t now_ms) {
  if (closed_ || state_ == PeerState::failed) return;
  // Direct already works: the peer's report crossed our nomination. Keep the direct path.
  if (state_ == PeerState::direct) return;
  if (relay_open_ && offer.session_id == relay_session_id_) return;  // repeated offer
  if (state_ == PeerState::gathering || state_ == PeerState::checking) {
    // The peer gave up on direct first: follow it (without another report). Still gathering:
    // our signal has not gone out yet, and the peer needs it (secret and tag) to check the
    // relay path with us, so it goes now, with what we have.
    request_relay(now_ms, false, "the peer asked for the relay");
    send_own_signal();
  }
  if (relay_open_) out_.close_relay(peer_id_);
  relay_open_ = true;
  relay_ready_ = relay_connected_ = false;
  relay_session_id_ = offer.session_id;
  relay_deadline_ms_ = now_ms + config_.relay_setup_timeout_ms;
  state_ = PeerState::relay_requested;
  // Both sides decide alike from the two signals' "udp" flags: a session's transport is fixed
  // by the first peer to bind it (PROTOCOL_MISMATCH for the other one).
  const RelayTransport transport =
      remote_needs_tcp() && offer.tcp_port != 0 ? RelayTransport::tcp : RelayTransport::udp;
  out_.open_relay(peer_id_, offer, transport);
}

void PeerSession::on_relay_ready(std::int64_t now_ms) {
  if (!relay_open_ || relay_ready_) return;
  relay_ready_ = true;
  next_relay_check_ms_ = now_ms;
  if (remote_) send_relay_check(now_ms);
}

void PeerSession::on_relay_failed(std::string_view reason, std::int64_t now_ms) {
  if (!relay_open_) return;
  relay_open_ = relay_ready_ = false;
  const bool was_connected = relay_connected_;
  relay_connected_ = false;
  log(LogLevel::warn, std::string("relay leg failed: ") + std::string(reason));
  if (state_ == PeerState::direct) return;
  if (was_connected)
    out_.emit({PeerEvent::Kind::path_changed, peer_id_, PathKind::none, connect_ms_,
               std::string(reason)});
  // Ask again: within the token lifetime the server returns the same session (fresh
  // tokens); after it, a new one.
  state_ = PeerState::relay_requested;
  request_relay(now_ms, true, reason);
}

void PeerSession::relay_connected(std::int64_t now_ms) {
  relay_connected_ = true;
  state_ = PeerState::relay;
  last_heard_ms_ = now_ms;
  next_keepalive_ms_ = now_ms + config_.keepalive_interval_ms;
  log(LogLevel::info, "relay path up");
  connected(PathKind::relay, now_ms);
}

void PeerSession::fail(std::string_view why) {
  if (state_ == PeerState::failed) return;
  state_ = PeerState::failed;
  if (relay_open_) out_.close_relay(peer_id_);
  relay_open_ = relay_ready_ = relay_connected_ = false;
  selected_.reset();
  log(LogLevel::error, std::string("no path: ") + std::string(why));
  out_.emit({PeerEvent::Kind::failed, peer_id_, PathKind::none, connect_ms_, std::string(why)});
}

void PeerSession::close(std::int64_t now_ms) {
  (void)now_ms;
  if (closed_) return;
  closed_ = true;
  if (relay_open_) out_.close_relay(peer_id_);
  relay_open_ = relay_ready_ = relay_connected_ = false;
  selected_.reset();
  out_.emit({PeerEvent::Kind::disconnected, peer_id_, PathKind::none, connect_ms_, {}});
}

// ---- data and timers ------------------------------------------------------------------------

bool PeerSession::send(std::span<const std::uint8_t> payload, std::int64_t now_ms) {
  (void)now_ms;
  if (closed_ || payload.size() > kMaxDatagramPayload || !remote_) return false;
  const bool direct = state_ == PeerState::direct && selected_;
  const bool relay = state_ == PeerState::relay && relay_connected_;
  if (!direct && !relay) return false;
  frame::encode_data_header(
      std::span<std::uint8_t, frame::kDataHeaderSize>(buf_.data(), frame::kDataHeaderSize),
      remote_->tag);
  std::memcpy(buf_.data() + frame::kDataHeaderSize, payload.data(), payload.size());
  const std::span<const std::uint8_t> bytes{buf_.data(), frame::kDataHeaderSize + payload.size()};
  if (direct) {
    out_.send_direct(peer_id_, *selected_, bytes, 0);
  } else {
    out_.send_relay(peer_id_, bytes);
  }
  ++datagrams_sent_;
  bytes_sent_ += payload.size();
  return true;
}

std::int64_t PeerSession::tick(std::int64_t now_ms) {
  if (closed_) return now_ms + kFar;
  std::int64_t next = now_ms + kFar;
  auto want = [&next](std::int64_t t) { next = std::min(next, t); };

  switch (state_) {
    case PeerState::gathering:
      if (now_ms >= gather_deadline_ms_) {
        finish_gathering(now_ms);
        return tick(now_ms);
      }
      want(gather_deadline_ms_);
      break;

    case PeerState::checking: {
      const std::int64_t deadline = failure_deadline_ms_ + (nominating_ ? kNominateGraceMs : 0);
      if (now_ms >= deadline) {
        request_relay(now_ms, true, "no direct path answered in time");
        return tick(now_ms);
      }
      want(deadline);
      if (!remote_) break;
      if (controlling_ && nominate_at_ms_ >= 0 && now_ms >= nominate_at_ms_ && !nominating_) {
        for (const Pair& p : pairs_) {
          if (p.succeeded) {
            nominating_ = p.remote;
            next_nominate_ms_ = now_ms;
            break;
          }
        }
        nominate_at_ms_ = -1;
      } else if (nominate_at_ms_ >= 0) {
        want(nominate_at_ms_);
      }
      if (nominating_) {
        if (now_ms >= next_nominate_ms_) {
          send_check(*nominating_, TxKind::nominate, true, now_ms);
          next_nominate_ms_ = now_ms + config_.probe_interval_ms;
        }
        want(next_nominate_ms_);
      }
      for (Pair& p : pairs_) {
        if (p.succeeded) continue;
        if (!can_probe(p, now_ms)) {
          want(remote_known_ms_ + config_.prime_wait_ms);
          continue;
        }
        if (now_ms >= p.next_probe_ms) {
          p.last_sent_ms = now_ms;
          p.next_probe_ms = now_ms + config_.probe_interval_ms;
          send_check(p.remote, TxKind::probe, false, now_ms);
        }
        want(p.next_probe_ms);
      }
      break;
    }

    case PeerState::direct:
      if (now_ms - last_heard_ms_ >= config_.path_dead_ms) {
        request_relay(now_ms, true, "direct path went silent");
        return tick(now_ms);
      }
      if (now_ms >= next_keepalive_ms_) {
        send_check(*selected_, TxKind::keepalive, false, now_ms);
        next_keepalive_ms_ = now_ms + config_.keepalive_interval_ms;
      }
      want(next_keepalive_ms_);
      want(last_heard_ms_ + config_.path_dead_ms);
      break;

    case PeerState::relay_requested:
      if (now_ms >= relay_deadline_ms_) {
        if (relay_open_) {
          on_relay_failed("relay path did not come up in time", now_ms);
        } else {
          fail("no use:relay from the room server");
        }
        return tick(now_ms);
      }
      want(relay_deadline_ms_);
      if (relay_ready_ && remote_) {
        if (now_ms >= next_relay_check_ms_) {
          send_relay_check(now_ms);
          next_relay_check_ms_ = now_ms + config_.probe_interval_ms;
        }
        want(next_relay_check_ms_);
      }
      break;

    case PeerState::relay:
      // The leg re-binds by itself within ~3 keepalives; give it that before asking again.
      if (now_ms - last_heard_ms_ >= 3 * config_.path_dead_ms) {
        on_relay_failed("relay path went silent", now_ms);
        return tick(now_ms);
      }
      if (now_ms >= next_keepalive_ms_) {
        send_relay_check(now_ms);
        next_keepalive_ms_ = now_ms + config_.keepalive_interval_ms;
      }
      want(next_keepalive_ms_);
      break;

    case PeerState::failed:
      break;
  }
  return next;
}

PeerStats PeerSession::stats(std::int64_t now_ms) const {
  PeerStats s;
  s.state = state_;
  if (state_ == PeerState::direct) {
    s.path = PathKind::direct;
    if (selected_) s.remote_address = selected_->to_string();
  } else if (state_ == PeerState::relay) {
    s.path = PathKind::relay;
  }
  s.rtt_ms = rtt_.srtt_ms();
  s.loss = loss_.loss(now_ms, kLossTimeoutMs);
  s.bytes_sent = bytes_sent_;
  s.bytes_received = bytes_received_;
  s.datagrams_sent = datagrams_sent_;
  s.datagrams_received = datagrams_received_;
  s.connect_ms = connect_ms_;
  return s;
}

}  // namespace sudachi::client::p2p
