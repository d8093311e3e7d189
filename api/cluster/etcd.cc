#include "api/cluster/etcd.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "api/client/cli_support.h"
#include "api/client/http_client.h"
#include "crypto/bytes.h"

namespace ipledger::api {
namespace {

using nlohmann::json;

std::string B64(std::string_view s) { return Base64Encode(AsBytes(s)); }

StatusOr<std::string> Unb64(const json& j) {
  if (!j.is_string()) return Status::Unavailable("etcd answered a non-string key or value");
  auto b = Base64Decode(j.get<std::string>());
  if (!b) return Status::Unavailable("etcd answered bad base64");
  return ToString(*b);
}

// The gateway renders int64 fields as JSON strings (proto3 JSON) and omits zero values.
std::int64_t Int(const json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end()) return 0;
  if (it->is_number_integer()) return it->get<std::int64_t>();
  if (it->is_string()) {
    try {
      return std::stoll(it->get<std::string>());
    } catch (...) {
      return 0;
    }
  }
  return 0;
}

StatusOr<json> Parse(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::Unavailable("etcd answered something that is not a JSON object");
  }
  return j;
}

StatusOr<EtcdTxnResult> TxnResult(const StatusOr<std::string>& text) {
  if (!text.ok()) return text.status();
  auto j = Parse(*text);
  if (!j.ok()) return j.status();
  EtcdTxnResult r;
  r.succeeded = j->value("succeeded", false);
  if (auto h = j->find("header"); h != j->end() && h->is_object()) r.revision = Int(*h, "revision");
  return r;
}

}  // namespace

Etcd::Etcd(std::vector<std::unique_ptr<Client>> clients) : clients_(std::move(clients)) {}
Etcd::~Etcd() = default;

StatusOr<std::unique_ptr<Etcd>> Etcd::Connect(const std::vector<std::string>& endpoints,
                                              std::chrono::milliseconds timeout) {
  if (endpoints.empty()) return Status::InvalidArgument("no etcd endpoint given");
  std::vector<std::unique_ptr<Client>> clients;
  for (const std::string& url : endpoints) {
    auto a = ParseServerUrl(url);
    if (!a.ok())
      return Status::InvalidArgument("etcd endpoint " + url + ": " + a.status().message());
    if (a->tls) return Status::InvalidArgument("etcd endpoint " + url + ": https is not supported");
    auto c = std::make_unique<Client>(a->host, a->port);
    c->SetTimeout(timeout);
    clients.push_back(std::move(c));
  }
  return std::unique_ptr<Etcd>(new Etcd(std::move(clients)));
}

StatusOr<std::string> Etcd::Post(std::string_view path, const std::string& body) {
  Status last = Status::Unavailable("no etcd endpoint");
  for (std::size_t k = 0; k < clients_.size(); ++k) {
    const std::size_t i = (current_ + k) % clients_.size();
    auto r = clients_[i]->Request("POST", path, body);
    if (!r.ok()) {
      last = r.status();
      continue;
    }
    if (r->status == 200) {
      current_ = i;
      return std::move(r->body);
    }
    last = Status::Unavailable("etcd answered " + std::to_string(r->status) + " to " +
                               std::string(path) + ": " + r->body.substr(0, 200));
    if (r->status < 500) return last;  // the request itself was refused
  }
  return last;
}

std::string Etcd::PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto& c = reinterpret_cast<unsigned char&>(end.back());
    if (c < 0xff) {
      ++c;
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key
}

StatusOr<std::vector<EtcdKv>> Etcd::Range(std::string_view key, std::string_view range_end,
                                          std::int64_t limit, Read read) {
  json req = {{"key", B64(key)}};
  if (!range_end.empty()) req["range_end"] = B64(range_end);
  if (limit > 0) req["limit"] = limit;
  if (read == Read::kSerializable) req["serializable"] = true;
  auto text = Post("/v3/kv/range", req.dump());
  if (!text.ok()) return text.status();
  auto j = Parse(*text);
  if (!j.ok()) return j.status();
  std::vector<EtcdKv> out;
  auto kvs = j->find("kvs");
  if (kvs == j->end()) return out;
  if (!kvs->is_array()) return Status::Unavailable("etcd answered kvs that is not an array");
  for (const json& kv : *kvs) {
    EtcdKv e;
    auto k = Unb64(kv.value("key", json()));
    if (!k.ok()) return k.status();
    e.key = std::move(*k);
    if (kv.contains("value")) {
      auto v = Unb64(kv["value"]);
      if (!v.ok()) return v.status();
      e.value = std::move(*v);
    }
    e.create_revision = Int(kv, "create_revision");
    e.mod_revision = Int(kv, "mod_revision");
    e.lease = Int(kv, "lease");
    out.push_back(std::move(e));
  }
  return out;
}

StatusOr<EtcdTxnResult> Etcd::PutIfAbsent(std::string_view key, std::string_view value,
                                          std::int64_t lease) {
  json put = {{"key", B64(key)}, {"value", B64(value)}};
  if (lease != 0) put["lease"] = std::to_string(lease);
  json req = {{"compare", json::array({{{"key", B64(key)},
                                        {"target", "CREATE"},
                                        {"result", "EQUAL"},
                                        {"create_revision", "0"}}})},
              {"success", json::array({{{"request_put", put}}})}};
  return TxnResult(Post("/v3/kv/txn", req.dump()));
}

StatusOr<EtcdTxnResult> Etcd::PutIfGuarded(std::string_view guard, std::string_view guard_value,
                                           std::int64_t guard_create_revision, std::string_view key,
                                           std::string_view value) {
  json req = {
      {"compare", json::array({{{"key", B64(guard)},
                                {"target", "VALUE"},
                                {"result", "EQUAL"},
                                {"value", B64(guard_value)}},
                               {{"key", B64(guard)},
                                {"target", "CREATE"},
                                {"result", "EQUAL"},
                                {"create_revision", std::to_string(guard_create_revision)}},
                               {{"key", B64(key)},
                                {"target", "CREATE"},
                                {"result", "EQUAL"},
                                {"create_revision", "0"}}})},
      {"success", json::array({{{"request_put", {{"key", B64(key)}, {"value", B64(value)}}}}})}};
  return TxnResult(Post("/v3/kv/txn", req.dump()));
}

StatusOr<bool> Etcd::DeleteIfValue(std::string_view key, std::string_view value) {
  json req = {
      {"compare",
       json::array(
           {{{"key", B64(key)}, {"target", "VALUE"}, {"result", "EQUAL"}, {"value", B64(value)}}})},
      {"success", json::array({{{"request_delete_range", {{"key", B64(key)}}}}})}};
  auto r = TxnResult(Post("/v3/kv/txn", req.dump()));
  if (!r.ok()) return r.status();
  return r->succeeded;
}

Status Etcd::Put(std::string_view key, std::string_view value, std::int64_t lease) {
  json req = {{"key", B64(key)}, {"value", B64(value)}};
  if (lease != 0) req["lease"] = std::to_string(lease);
  auto text = Post("/v3/kv/put", req.dump());
  return text.ok() ? Status::Ok() : text.status();
}

StatusOr<std::int64_t> Etcd::DeleteRange(std::string_view key, std::string_view range_end,
                                         std::int64_t* revision) {
  json req = {{"key", B64(key)}, {"range_end", B64(range_end)}};
  auto text = Post("/v3/kv/deleterange", req.dump());
  if (!text.ok()) return text.status();
  auto j = Parse(*text);
  if (!j.ok()) return j.status();
  if (revision != nullptr) {
    auto h = j->find("header");
    *revision = h != j->end() && h->is_object() ? Int(*h, "revision") : 0;
  }
  return Int(*j, "deleted");
}

Status Etcd::Compact(std::int64_t revision) {
  auto text = Post("/v3/kv/compaction", json({{"revision", std::to_string(revision)}}).dump());
  return text.ok() ? Status::Ok() : text.status();
}

StatusOr<std::int64_t> Etcd::LeaseGrant(std::int64_t ttl_seconds) {
  auto text = Post("/v3/lease/grant", json({{"TTL", std::to_string(ttl_seconds)}}).dump());
  if (!text.ok()) return text.status();
  auto j = Parse(*text);
  if (!j.ok()) return j.status();
  const std::int64_t id = Int(*j, "ID");
  if (id == 0) return Status::Unavailable("etcd granted no lease: " + text->substr(0, 200));
  return id;
}

StatusOr<std::int64_t> Etcd::LeaseKeepAlive(std::int64_t lease) {
  auto text = Post("/v3/lease/keepalive", json({{"ID", std::to_string(lease)}}).dump());
  if (!text.ok()) return text.status();
  // A stream of one message: {"result":{...,"TTL":"n"}} (possibly followed by a newline).
  auto j = Parse(text->substr(0, text->find('\n')));
  if (!j.ok()) return j.status();
  auto result = j->find("result");
  if (result == j->end() || !result->is_object()) {
    return Status::Unavailable("etcd keepalive answered no result: " + text->substr(0, 200));
  }
  return Int(*result, "TTL");
}

Status Etcd::LeaseRevoke(std::int64_t lease) {
  auto text = Post("/v3/lease/revoke", json({{"ID", std::to_string(lease)}}).dump());
  return text.ok() ? Status::Ok() : text.status();
}

}  // namespace ipledger::api
