#include "metrics/registry.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <set>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

#include "metrics/text_format.hpp"

namespace sudachi::metrics {
namespace {

// fetch_add on atomic<double> is C++20 but not lock-free everywhere; the CAS loop is, and it
// is what the library would do anyway.
void atomic_add(std::atomic<double>& target, double delta) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + delta, std::memory_order_relaxed)) {
  }
}

std::vector<double> normalize_bounds(std::vector<double> bounds) {
  if (!bounds.empty() && std::isinf(bounds.back()) && bounds.back() > 0) bounds.pop_back();
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
      throw std::invalid_argument("histogram bounds must be finite and strictly increasing");
    }
  }
  return bounds;
}

}  // namespace

// ---- metric types ----------------------------------------------------------------------------

void Counter::inc(double v) {
  assert(v >= 0 && "a counter never decreases");
  if (!(v >= 0)) return;  // also refuses NaN, which would poison the counter forever
  atomic_add(value_, v);
}

double Counter::value() const {
  return value_.load(std::memory_order_relaxed);
}

void Gauge::set(double v) {
  value_.store(v, std::memory_order_relaxed);
}
void Gauge::inc(double v) {
  atomic_add(value_, v);
}
void Gauge::dec(double v) {
  atomic_add(value_, -v);
}
double Gauge::value() const {
  return value_.load(std::memory_order_relaxed);
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(normalize_bounds(std::move(upper_bounds))),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}

void Histogram::observe(double v) {
  // First bucket whose upper bound is >= v ("le" semantics). NaN compares false with every
  // bound and lands in +Inf, as in the Prometheus client libraries.
  std::size_t index = bounds_.size();
  if (!std::isnan(v)) {
    index = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) -
                                     bounds_.begin());
  }
  buckets_[index].fetch_add(1, std::memory_order_relaxed);
  atomic_add(sum_, v);
}

std::vector<std::uint64_t> Histogram::cumulative_counts() const {
  std::vector<std::uint64_t> out(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    out[i] = running;
  }
  return out;
}

double Histogram::sum() const {
  return sum_.load(std::memory_order_relaxed);
}

std::uint64_t Histogram::count() const {
  return cumulative_counts().back();
}

// ---- families ----------------------------------------------------------------------------------

template <class Metric>
struct Family<Metric>::Impl {
  using MetricType = Metric;
  std::vector<std::string> label_names;
  std::vector<double> bounds;  // histograms only, already normalized
  mutable std::mutex mutex;
  // Ordered by label values, which makes the rendering deterministic. Children stay until
  // remove() (only for families whose users keep no references); shared so that a render
  // running while one is removed still reads valid memory.
  std::map<std::vector<std::string>, std::shared_ptr<Metric>> children;

  std::shared_ptr<Metric> make_child() const {
    if constexpr (std::is_same_v<Metric, Histogram>) {
      return std::make_shared<Histogram>(bounds);
    } else {
      return std::make_shared<Metric>();
    }
  }

  // The children, copied under the lock so rendering does not hold it.
  std::vector<std::pair<std::vector<std::string>, std::shared_ptr<const Metric>>> snapshot() const {
    std::lock_guard lock(mutex);
    std::vector<std::pair<std::vector<std::string>, std::shared_ptr<const Metric>>> out;
    out.reserve(children.size());
    for (const auto& [labels, child] : children) out.emplace_back(labels, child);
    return out;
  }
};

template <class Metric>
Metric& Family<Metric>::with(const std::vector<std::string>& label_values) {
  assert(impl_ && "Family used before Registry created it");
  assert(label_values.size() == impl_->label_names.size() && "label value count mismatch");
  std::vector<std::string> key = label_values;
  key.resize(impl_->label_names.size());
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->children.find(key);
  if (it == impl_->children.end())
    it = impl_->children.emplace(std::move(key), impl_->make_child()).first;
  return *it->second;
}

template <class Metric>
bool Family<Metric>::remove(const std::vector<std::string>& label_values) {
  assert(impl_ && "Family used before Registry created it");
  std::vector<std::string> key = label_values;
  key.resize(impl_->label_names.size());
  std::lock_guard lock(impl_->mutex);
  return impl_->children.erase(key) > 0;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

// ---- rendering ---------------------------------------------------------------------------------

namespace {

using Labels = std::vector<std::string>;

// {a="x",b="y"} plus an optional trailing `le`; nothing at all when there are no labels.
void append_labels(std::string& out, const Labels& names, const Labels& values,
                   const std::string* le = nullptr) {
  if (names.empty() && le == nullptr) return;
  out += '{';
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    out += names[i];
    out += "=\"";
    text::append_label_value(out, values[i]);
    out += '"';
  }
  if (le != nullptr) {
    if (!names.empty()) out += ',';
    out += "le=\"";
    out += *le;
    out += '"';
  }
  out += '}';
}

void append_sample(std::string& out, std::string_view name, const Labels& names,
                   const Labels& values, const std::string& value,
                   const std::string* le = nullptr) {
  out += name;
  append_labels(out, names, values, le);
  out += ' ';
  out += value;
  out += '\n';
}

template <class Metric>
void append_children(std::string& out, const std::string& name,
                     const typename Family<Metric>::Impl& family) {
  for (const auto& [values, child] : family.snapshot()) {
    append_sample(out, name, family.label_names, values, text::format_number(child->value()));
  }
}

void append_histogram_child(std::string& out, const std::string& name, const Labels& names,
                            const Labels& values, const Histogram& h) {
  const auto counts = h.cumulative_counts();
  const auto& bounds = h.bounds();
  for (std::size_t i = 0; i < counts.size(); ++i) {
    const std::string le = i < bounds.size() ? text::format_number(bounds[i]) : "+Inf";
    append_sample(out, name + "_bucket", names, values, std::to_string(counts[i]), &le);
  }
  append_sample(out, name + "_sum", names, values, text::format_number(h.sum()));
  append_sample(out, name + "_count", names, values, std::to_string(counts.back()));
}

template <>
void append_children<Histogram>(std::string& out, const std::string& name,
                                const Family<Histogram>::Impl& family) {
  for (const auto& [values, child] : family.snapshot()) {
    append_histogram_child(out, name, family.label_names, values, *child);
  }
}

template <class Metric>
constexpr std::string_view type_name() {
  if constexpr (std::is_same_v<Metric, Counter>) {
    return "counter";
  } else if constexpr (std::is_same_v<Metric, Gauge>) {
    return "gauge";
  } else {
    static_assert(std::is_same_v<Metric, Histogram>);
    return "histogram";
  }
}

}  // namespace

// ---- registry ----------------------------------------------------------------------------------

struct Registry::State {
  struct Entry {
    std::string name;
    std::string help;
    std::variant<std::shared_ptr<Family<Counter>::Impl>, std::shared_ptr<Family<Gauge>::Impl>,
                 std::shared_ptr<Family<Histogram>::Impl>>
        family;
  };

  mutable std::mutex mutex;
  std::vector<Entry> entries;   // registration order is exposition order
  std::set<std::string> taken;  // every sample name in use, histogram suffixes included

  template <class Metric>
  std::shared_ptr<typename Family<Metric>::Impl> add(const std::string& name,
                                                     const std::string& help,
                                                     std::vector<std::string> label_names,
                                                     std::vector<double> bounds);
};

namespace {

void validate_label_names(const std::vector<std::string>& names, bool histogram) {
  std::set<std::string_view> seen;
  for (const auto& n : names) {
    if (!text::valid_label_name(n))
      throw std::invalid_argument("invalid metric label name '" + n + "'");
    if (histogram && n == "le") throw std::invalid_argument("'le' is reserved in histograms");
    if (!seen.insert(n).second) throw std::invalid_argument("label name '" + n + "' given twice");
  }
}

std::vector<std::string> sample_names(const std::string& name, bool histogram) {
  if (!histogram) return {name};
  return {name, name + "_bucket", name + "_sum", name + "_count"};
}

}  // namespace

template <class Metric>
std::shared_ptr<typename Family<Metric>::Impl> Registry::State::add(
    const std::string& name, const std::string& help, std::vector<std::string> label_names,
    std::vector<double> bounds) {
  constexpr bool histogram = std::is_same_v<Metric, Histogram>;
  if (!text::valid_metric_name(name))
    throw std::invalid_argument("invalid metric name '" + name + "'");
  validate_label_names(label_names, histogram);
  auto impl = std::make_shared<typename Family<Metric>::Impl>();
  impl->label_names = std::move(label_names);
  if constexpr (histogram) impl->bounds = normalize_bounds(std::move(bounds));

  std::lock_guard lock(mutex);
  const auto names = sample_names(name, histogram);
  for (const auto& n : names) {
    if (taken.contains(n)) throw std::invalid_argument("metric '" + n + "' registered twice");
  }
  taken.insert(names.begin(), names.end());
  entries.push_back(Entry{name, help, impl});
  return impl;
}

Registry::Registry() : state_(std::make_unique<State>()) {}
Registry::~Registry() = default;

Counter& Registry::counter(const std::string& name, const std::string& help) {
  return Family<Counter>{state_->add<Counter>(name, help, {}, {})}.with({});
}

Gauge& Registry::gauge(const std::string& name, const std::string& help) {
  return Family<Gauge>{state_->add<Gauge>(name, help, {}, {})}.with({});
}

Histogram& Registry::histogram(const std::string& name, const std::string& help,
                               std::vector<double> bounds) {
  return Family<Histogram>{state_->add<Histogram>(name, help, {}, std::move(bounds))}.with({});
}

Family<Counter> Registry::counter_family(const std::string& name, const std::string& help,
                                         std::vector<std::string> label_names) {
  return Family<Counter>{state_->add<Counter>(name, help, std::move(label_names), {})};
}

Family<Gauge> Registry::gauge_family(const std::string& name, const std::string& help,
                                     std::vector<std::string> label_names) {
  return Family<Gauge>{state_->add<Gauge>(name, help, std::move(label_names), {})};
}

Family<Histogram> Registry::histogram_family(const std::string& name, const std::string& help,
                                             std::vector<std::string> label_names,
                                             std::vector<double> bounds) {
  return Family<Histogram>{
      state_->add<Histogram>(name, help, std::move(label_names), std::move(bounds))};
}

std::string Registry::render() const {
  std::string out;
  std::lock_guard lock(state_->mutex);
  for (const auto& entry : state_->entries) {
    std::visit(
        [&](const auto& family) {
          using Metric = typename std::decay_t<decltype(family)>::element_type::MetricType;
          out += "# HELP " + entry.name + ' ';
          text::append_help(out, entry.help);
          out += "\n# TYPE " + entry.name + ' ';
          out += type_name<Metric>();
          out += '\n';
          append_children<Metric>(out, entry.name, *family);
        },
        entry.family);
  }
  return out;
}

}  // namespace sudachi::metrics
