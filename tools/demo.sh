#!/usr/bin/env bash
# Loads the demo stories into a running registry, through the CLI only, as the
# institutions themselves would: each participant gets a key (ipledger keygen), the
# registry office registers it, and every statement is written as JSON, signed
# (ipledger sign) by its submitter and co-signers and posted (ipledger submit).
#
#   tools/demo.sh [--data-dir var] [--server http://127.0.0.1:8080] [--cli PATH]
#                 [--clock-file FILE] [--skip 4,5] [--witnesses DIR]
#
# Writes under the data directory: demo-keys/<participant>.key (key id <participant>/k1),
# demo-statements/NN-name.{json,env} and demo-receipts/NN-name.receipt.json. The
# registry office signs with <data-dir>/registry.key (registry/k1). Called by
# tools/run.sh once per data directory; it refuses a directory it has already loaded.
#
# The data assets' publicity period passes for real: the registry (initialized with
# `ipledger init --clock-file FILE` and served by `ipledgerd --clock-file FILE`; a demo
# and test option) reads its clock from FILE (default <data-dir>/demo-clock), which must
# hold a time at least 12 days ago (tools/run.sh writes one 15 days ago). The demo
# registers the participants and registers and publicizes the data sets at that time,
# with a 10-day publicity period; moves FILE 11 days on, after the period, and confirms
# them; then removes FILE, so that the registry is back on the real clock, for the
# rest of the stories (and afterwards, also if the demo fails).
#
# The stories (Zhejiang; amounts in fen, 1 yuan = 100 fen; dates around today):
#   1. An agricultural enterprise in Jiangshan registers a 1,501-record greenhouse data
#      set; the registry publicizes it and, after 10 days of publicity, confirms it
#      (two weeks ago and a few days ago, by the held clock); an insurer covers it against
#      infringement loss (data_ip_loss, ¥1,000,000 aggregate); the county branch of a
#      commercial bank makes the first data-IP pledge loan on it.
#   2. A water-supply company's 560,000,000-record data asset, valued by an appraiser,
#      is pledged.
#   3. 18 patents of an agrochemical firm, scored on legal, technical and economic
#      value, are pledged for a ¥5,800,000 credit.
#   4. A ¥45,000,000 combination loan: factory real estate (¥26,600,000) as other
#      collateral plus 19 patents securing ¥18,400,000.
#   5. A trademark pledge backed by an infringement-loss policy with the bank as loss
#      payee.
#   6. A second pledge of an already pledged patent: refused with E_ALREADY_PLEDGED,
#      and the refusal itself recorded in the log.
# --skip 4, 5 or 4,5 leaves out those stories (the others do not depend on them): a
# quicker load for tests that need only some of the data (api/web/test/run.sh).
# With --witnesses DIR, then: the regulator joins, and the bank, the insurer and the
# regulator register their witnesses' keys and URLs (DIR/NAME/witness.vkey and url).
set -euo pipefail
cd "$(dirname "$0")/.."

data=var
server=http://127.0.0.1:8080
cli=build/release/tools/ipledger
clock_file=""
skip=""
witnesses=""
while [ $# -gt 0 ]; do
  case "$1" in
    --data-dir) data=$2; shift 2 ;;
    --server) server=$2; shift 2 ;;
    --cli) cli=$2; shift 2 ;;
    --clock-file) clock_file=$2; shift 2 ;;
    --skip) skip=",$2,"; shift 2 ;;
    --witnesses) witnesses=$2; shift 2 ;;
    *) echo "demo.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
clock_file=${clock_file:-$data/demo-clock}
case "$skip" in ""|,4,|,5,|,4,5,|,5,4,) ;; *) echo "demo.sh: --skip takes 4, 5 or 4,5" >&2; exit 2 ;; esac

keys=$data/demo-keys
stmts=$data/demo-statements
receipts=$data/demo-receipts
if [ -e "$keys" ]; then
  echo "demo.sh: $keys exists: the demo was loaded (or interrupted) here before." >&2
  echo "demo.sh: to start over, stop the server, remove $data/ and run tools/run.sh again." >&2
  exit 1
fi

# The time the clock file holds (RFC 3339 UTC or integer milliseconds), in seconds.
clock_text=$(tr -d ' \t\r\n' <"$clock_file" 2>/dev/null || true)
case "$clock_text" in
  "") then_s="" ;;
  *[!0-9]*) then_s=$(date -u -d "$clock_text" +%s 2>/dev/null || true) ;;
  *) then_s=$((clock_text / 1000)) ;;
esac
if [ -z "$then_s" ] || [ "$then_s" -gt $(($(date +%s) - 12 * 86400)) ]; then
  echo "demo.sh: $clock_file must hold a time at least 12 days ago (RFC 3339 UTC), the" >&2
  echo "demo.sh: time the registry's clock starts from: the data sets' 10-day publicity" >&2
  echo "demo.sh: period passes for real. Initialize and serve the data directory with" >&2
  echo "demo.sh: --clock-file $clock_file (tools/run.sh does, for a fresh ./var)." >&2
  exit 1
fi
mkdir -p "$keys" "$stmts" "$receipts"
chmod 700 "$keys"
# Whatever happens, the registry goes back to the real clock when the demo ends.
trap 'rm -f "$clock_file"' EXIT

# Business dates are Asia/Shanghai calendar days, as the registry counts them.
day() { TZ=Asia/Shanghai date -d "$1" +%F; }
today=$(day today)
year=$(TZ=Asia/Shanghai date +%Y)

# The held clock: statements written while it holds carry its time as "created" (the
# registry refuses one created more than 10 minutes from its own time).
instant() { date -u -d "@$1" +%FT%T.000Z; }
then_date=$(TZ=Asia/Shanghai date -d "@$then_s" +%F)
publicity_end=$(day "$then_date +10 days")
confirm_s=$((then_s + 11 * 86400))
confirm_date=$(TZ=Asia/Shanghai date -d "@$confirm_s" +%F)
created=""
# hold_clock SECONDS: the registry's clock reads that time from now on (the server
# re-reads the file every 0.1 s); release_clock: back to the real clock.
hold_clock() {
  printf '%s\n' "$(instant "$1")" >"$clock_file.tmp"
  mv -f "$clock_file.tmp" "$clock_file"
  created="\"created\": \"$(instant "$1")\","
  sleep 0.3
}
release_clock() {
  rm -f "$clock_file"
  created=""
  sleep 0.3
}
hold_clock "$then_s"

n=0          # statement counter, for file names
accepted=0   # statements the registry accepted
sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

# post NAME SIGNER...: signs $stmts/NN-NAME.json with each signer's
# key and submits it; prints one line; exits on anything but acceptance.
post() {
  local name=$1; shift
  local base=$stmts/$name
  local key_args=()
  for who in "$@"; do
    if [ "$who" = registry ]; then key_args+=(--key "$data/registry.key:registry/k1")
    else key_args+=(--key "$keys/$who.key:$who/k1"); fi
  done
  local out
  if ! out=$("$cli" sign --statement "$base.json" "${key_args[@]}" --out "$base.env" 2>&1); then
    echo "$out" >&2
    exit 1
  fi
  if ! out=$("$cli" submit --server "$server" --envelope "$base.env" \
               --receipt-out "$receipts/$name.receipt.json"); then
    echo "$out"
    echo "demo.sh: $name was not accepted (statement: $base.json)" >&2
    exit 1
  fi
  accepted=$((accepted + 1))
  local index type
  index=$(sed -n 's/^ *index: *//p' <<<"$out")
  # A statement that changed an asset's status is followed by the log's map.root entry:
  # number the next file after the log's last entry.
  n=$(( $(curl -sf "$server/healthz" | sed -n 's/.*"tree_size":\([0-9]*\).*/\1/p') - 1 ))
  type=$(sed -n '1s/^accepted (201): \([^ ]*\) by .*/\1/p' <<<"$out")
  local warnings
  warnings=$(sed -n 's/^ *warnings: *//p' <<<"$out")
  printf '  #%-4s %-20s %s%s\n' "$index" "$type" "$name" \
    "$([ "$warnings" != none ] && echo " (warnings: $warnings)")"
}

# next NAME: sets f to the path of the next statement file, numbered in order.
f=""
next() { n=$((n + 1)); f=$(printf '%s/%02d-%s.json' "$stmts" "$n" "$1"); }
last_name() { basename "$1" .json; }

# --- Participants -----------------------------------------------------------------------

# participant ID ROLE REGION NAME [USCC]
participant() {
  local id=$1 role=$2 region=$3 name=$4 uscc=${5:-}
  local pub
  pub=$("$cli" keygen --out "$keys/$id.key")
  local uscc_member=""
  [ -n "$uscc" ] && uscc_member="\"uscc\": \"$uscc\","
  next "participant-$id"
  cat >"$f" <<EOF
{"v": 1, $created "type": "participant.register", "submitter": "registry",
 "body": {"id": "$id", "name": "$name", "role": "$role", "region_code": "$region",
          $uscc_member
          "keys": [{"label": "k1", "ed25519": "$pub"}]}}
EOF
  post "$(last_name "$f")" registry
}

echo "On $then_date (the registry's clock held by $clock_file):"
echo "Registering participants (keys in $keys/):"
participant abc-jiangshan bank 330881 "Agricultural Bank of China, Jiangshan Sub-branch"
participant ccb-quzhou bank 330802 "China Construction Bank, Quzhou Branch"
participant hzbank-quzhou bank 330802 "Bank of Hangzhou, Quzhou Branch"
participant quzhou-rcb bank 330802 "Quzhou Rural Commercial Bank, Kecheng Sub-branch"
participant picc-quzhou insurer 330802 "PICC Property and Casualty, Quzhou Branch"
participant zj-appraisal appraiser 330100 "Zhejiang Zhongxin Asset Appraisal Co., Ltd."
participant jiangshan-agri enterprise 330881 "Jiangshan Greenleaf Agricultural Development Co., Ltd." 91330881MA2DKQ7X38
participant quzhou-water enterprise 330802 "Quzhou Water Supply Group Co., Ltd." 913308021469512343
participant kecheng-agrochem enterprise 330802 "Zhejiang Kecheng Agrochemical Co., Ltd." 91330802MA28F1RX55
participant qz-newmaterials enterprise 330803 "Quzhou Fluorosilicon New Materials Co., Ltd." 91330803MA29G7TB0W
participant youzhi-foods enterprise 330881 "Jiangshan Youzhi Foods Co., Ltd." 91330881MA2EJ2LW8C

# --- Story 1: greenhouse data, publicized, confirmed, insured, first data-IP pledge ---------

echo "Story 1: a 1,501-record greenhouse data set, publicized until $publicity_end:"
green=data:jiangshan-greenhouse-$year
next data-register-greenhouse
cat >"$f" <<EOF
{"v": 1, $created "type": "asset.register", "submitter": "jiangshan-agri",
 "body": {"asset_id": "$green", "kind": "data", "holders": ["jiangshan-agri"],
          "data": {"name": "Greenhouse microclimate and yield records, Jiangshan base",
                   "description": "Hourly temperature, humidity, CO2, light and irrigation readings with harvest yields from 36 smart greenhouses",
                   "record_count": 1501,
                   "fingerprint_sha256": "$(sha "greenhouse data set $year")",
                   "source_type": "self_collected",
                   "scenario": "greenhouse climate control and yield forecasting for growers and input suppliers"}}}
EOF
post "$(last_name "$f")" jiangshan-agri

# A 10-day publicity period from the registration day (rule D-4: the registry confirms
# only after it has ended, and refuses a period that ends before it begins).
next data-publicize-greenhouse
cat >"$f" <<EOF
{"v": 1, $created "type": "data.publicize", "submitter": "registry",
 "body": {"asset_id": "$green", "publicity_end": "$publicity_end"}}
EOF
post "$(last_name "$f")" registry

# --- Story 2: water-supply data, appraised and pledged ----------------------------------------

echo "Story 2: a 560,000,000-record water-supply data asset, publicized until $publicity_end:"
water=data:quzhou-water-supply-$year
next data-register-water
cat >"$f" <<EOF
{"v": 1, $created "type": "asset.register", "submitter": "quzhou-water",
 "body": {"asset_id": "$water", "kind": "data", "holders": ["quzhou-water"],
          "data": {"name": "Urban water-supply operations data, Quzhou",
                   "description": "Smart-meter readings, pipe-network pressure and flow, and water-quality monitoring, 2018 onwards",
                   "record_count": 560000000,
                   "fingerprint_sha256": "$(sha "water supply data set $year")",
                   "source_type": "self_collected",
                   "scenario": "leak detection, demand forecasting and network planning"}}}
EOF
post "$(last_name "$f")" quzhou-water

next data-publicize-water
cat >"$f" <<EOF
{"v": 1, $created "type": "data.publicize", "submitter": "registry",
 "body": {"asset_id": "$water", "publicity_end": "$publicity_end"}}
EOF
post "$(last_name "$f")" registry

# --- The publicity period over: both data sets confirmed ---------------------------------------

hold_clock "$confirm_s"
echo "On $confirm_date, publicity over without objection: both data sets confirmed:"
next data-confirm-greenhouse
cat >"$f" <<EOF
{"v": 1, $created "type": "data.confirm", "submitter": "registry",
 "body": {"asset_id": "$green", "certificate_no": "ZJ-DATA-$year-000118", "valid_until": "$(day "$confirm_date +3 years")"}}
EOF
post "$(last_name "$f")" registry

next data-confirm-water
cat >"$f" <<EOF
{"v": 1, $created "type": "data.confirm", "submitter": "registry",
 "body": {"asset_id": "$water", "certificate_no": "ZJ-DATA-$year-000127", "valid_until": "$(day "$confirm_date +3 years")"}}
EOF
post "$(last_name "$f")" registry

# --- Today, on the real clock -------------------------------------------------------------------

release_clock
echo "Today, $today (the registry back on the real clock; $clock_file removed):"
echo "Story 1, continued: the greenhouse data insured and pledged (the first data-IP loan):"
next policy-greenhouse-data-ip-loss
cat >"$f" <<EOF
{"v": 1, "type": "policy.issue", "submitter": "picc-quzhou",
 "body": {"policy_id": "PICC-DIP-$year-0031", "product": "data_ip_loss", "insured": "jiangshan-agri",
          "loss_payees": ["abc-jiangshan"], "covered_assets": ["$green"],
          "period": {"start": "$today", "end": "$(day '+1 year -1 day')"},
          "limit_per_claim": {"amount_fen": 50000000, "currency": "CNY"},
          "aggregate_limit": {"amount_fen": 100000000, "currency": "CNY"},
          "deductible": {"amount_fen": 500000, "currency": "CNY"},
          "covered_costs": ["investigation", "legal", "data_restoration", "direct_loss"]}}
EOF
post "$(last_name "$f")" picc-quzhou

next pledge-greenhouse-first-data-ip-loan
cat >"$f" <<EOF
{"v": 1, "type": "pledge.register", "submitter": "abc-jiangshan",
 "body": {"pledge_id": "ABC-JS-$year-D001", "pledgors": ["jiangshan-agri"], "debtor": "jiangshan-agri",
          "collateral": ["$green"],
          "secured": {"type": "loan", "amount": {"amount_fen": 100000000, "currency": "CNY"}},
          "debt_term": {"start": "$today", "end": "$(day '+1 year -1 day')"},
          "official_reg_no": "ZJ-DZY-$year-0001",
          "valuation_ids": [], "contract_sha256": "$(sha "ABC-JS-$year-D001 loan contract")"}}
EOF
post "$(last_name "$f")" abc-jiangshan jiangshan-agri

echo "Story 2, continued: the water-supply data appraised and pledged:"
next valuation-water
cat >"$f" <<EOF
{"v": 1, "type": "valuation.attest", "submitter": "zj-appraisal",
 "body": {"valuation_id": "ZX-VAL-$year-0456",
          "items": [{"asset_id": "$water", "value": {"amount_fen": 1260000000, "currency": "CNY"}}],
          "total": {"amount_fen": 1260000000, "currency": "CNY"},
          "standard": "CAS Guidance on Data Asset Appraisal (2023)", "methods": ["cost", "income"],
          "base_date": "$(day '-10 days')", "valid_until": "$(day '+1 year -10 days')",
          "report_sha256": "$(sha "ZX-VAL-$year-0456 report")"}}
EOF
post "$(last_name "$f")" zj-appraisal

next pledge-water
cat >"$f" <<EOF
{"v": 1, "type": "pledge.register", "submitter": "ccb-quzhou",
 "body": {"pledge_id": "CCB-QZ-$year-D017", "pledgors": ["quzhou-water"], "debtor": "quzhou-water",
          "collateral": ["$water"],
          "secured": {"type": "loan", "amount": {"amount_fen": 600000000, "currency": "CNY"}},
          "debt_term": {"start": "$today", "end": "$(day '+2 years -1 day')"},
          "valuation_ids": ["ZX-VAL-$year-0456"],
          "contract_sha256": "$(sha "CCB-QZ-$year-D017 loan contract")"}}
EOF
post "$(last_name "$f")" ccb-quzhou quzhou-water

# --- Patents ---------------------------------------------------------------------------

# app_no YEAR SERIAL7: a 13-character CNIPA invention application number (type digit 1)
# with its check digit (weights 2..9,2..5 over the first 12 digits, mod 11; 10 is X).
app_no() {
  local body="${1}1${2}" sum=0 weights=(2 3 4 5 6 7 8 9 2 3 4 5) i
  for i in $(seq 0 11); do sum=$((sum + ${body:$i:1} * weights[i])); done
  local c=$((sum % 11))
  [ "$c" = 10 ] && c=X
  echo "$body$c"
}

# patent APP_NO HOLDER TITLE: registers an invention patent (filed in its application
# year, granted about 2.5 years later, annuities paid for the coming months).
patent() {
  local no=$1 holder=$2 title=$3
  local filed granted
  filed="${no:0:4}-$(printf '%02d' $((10#${no:7:2} % 12 + 1)))-$(printf '%02d' $((10#${no:9:2} % 28 + 1)))"
  granted=$(date -d "$filed +30 months" +%F)
  next "patent-$no"
  cat >"$f" <<EOF
{"v": 1, "type": "asset.register", "submitter": "registry",
 "body": {"asset_id": "patent:$no", "kind": "patent", "holders": ["$holder"],
          "patent": {"application_no": "$no", "patent_no": "ZL${no:0:12}.${no:12:1}",
                     "type": "invention", "title": "$title",
                     "filing_date": "$filed", "grant_date": "$granted",
                     "annuity_paid_through": "$(day '+200 days')"}}}
EOF
  post "$(last_name "$f")" registry >/dev/null
}

# --- Story 3: 18 agrochemical patents, scored and valued, pledged for ¥5,800,000 ---------------

echo "Story 3: 18 patents of an agrochemical firm, valued and pledged for ¥5,800,000:"
agro_titles=(
  "Slow-release granule of chlorantraniliprole and its preparation method"
  "Water-dispersible granule of pyraclostrobin and tebuconazole"
  "Continuous-flow synthesis of a glyphosate intermediate with low wastewater"
  "Abamectin nano-emulsion with a biodegradable surfactant"
  "Rice seed-coating agent containing thiamethoxam"
  "Recovery of chloride salts from pesticide mother liquor"
  "Microencapsulated lambda-cyhalothrin suspension"
  "Mesotrione and atrazine herbicidal composition for maize"
  "Ultra-low-volume oil dispersion for drone spraying"
  "Biological fungicide from Bacillus velezensis fermentation broth"
  "Photostable emamectin benzoate formulation"
  "Catalytic hydrogenation process for 2-chloro-5-chloromethylpyridine"
  "Plant growth regulator of forchlorfenuron and gibberellin"
  "Low-drift spray adjuvant based on modified vegetable oil"
  "Controlled-release dazomet soil fumigant granule"
  "LC-MS/MS test method for neonicotinoid residues in tea"
  "Sustained-release bait for Spodoptera frugiperda"
  "Fenton oxidation treatment of triazine herbicide wastewater"
)
agro=("2014103620773")  # the first one as the registry lists it; the rest derived
for i in $(seq 1 17); do
  agro+=("$(app_no $((2013 + i % 9)) "$(printf '%07d' $((1048213 + i * 73361)))")")
done
for i in "${!agro[@]}"; do patent "${agro[$i]}" kecheng-agrochem "${agro_titles[$i]}"; done
echo "  (18 asset.register statements by the registry: ${agro[0]} ... ${agro[17]})"

# The appraisal scores each patent (0-100) on legal, technical and economic value.
items="" total=0
for i in "${!agro[@]}"; do
  value=$(( (380000 + (i * 47 % 19) * 21000) * 100 ))
  total=$((total + value))
  items+="${items:+,
    }{\"asset_id\": \"patent:${agro[$i]}\", \"value\": {\"amount_fen\": $value, \"currency\": \"CNY\"},
     \"legal_score\": $((70 + i * 7 % 25)), \"technical_score\": $((65 + i * 11 % 30)), \"economic_score\": $((60 + i * 13 % 35))}"
done
next valuation-agrochem-18-patents
cat >"$f" <<EOF
{"v": 1, "type": "valuation.attest", "submitter": "zj-appraisal",
 "body": {"valuation_id": "ZX-VAL-$year-0512", "items": [
    $items],
          "total": {"amount_fen": $total, "currency": "CNY"},
          "standard": "GB/T 42748-2023", "methods": ["income", "market"],
          "base_date": "$(day '-20 days')", "report_sha256": "$(sha "ZX-VAL-$year-0512 report")"}}
EOF
post "$(last_name "$f")" zj-appraisal

collateral=""
for no in "${agro[@]}"; do collateral+="${collateral:+, }\"patent:$no\""; done
next pledge-agrochem-18-patents
cat >"$f" <<EOF
{"v": 1, "type": "pledge.register", "submitter": "ccb-quzhou",
 "body": {"pledge_id": "CCB-QZ-$year-P042", "pledgors": ["kecheng-agrochem"], "debtor": "kecheng-agrochem",
          "collateral": [$collateral],
          "secured": {"type": "ceiling", "amount": {"amount_fen": 580000000, "currency": "CNY"}},
          "debt_term": {"start": "$today", "end": "$(day '+3 years -1 day')"},
          "official_reg_no": "Y$year${agro[0]:4:5}0042",
          "valuation_ids": ["ZX-VAL-$year-0512"],
          "contract_sha256": "$(sha "CCB-QZ-$year-P042 maximum-amount pledge contract")"}}
EOF
post "$(last_name "$f")" ccb-quzhou kecheng-agrochem

# --- Story 4: a ¥45,000,000 combination loan: real estate plus 19 patents -------------------
if [[ $skip != *,4,* ]]; then

echo "Story 4: a ¥45,000,000 combination loan: factory real estate plus 19 patents:"
nm_titles=(
  "Polytetrafluoroethylene dispersion resin free of PFOA"
  "Fluorosilicone rubber with high tear strength"
  "Crystallization process for lithium hexafluorophosphate"
  "Hydrofluoroolefin refrigerant blend"
  "PVDF binder for lithium-ion battery cathodes"
  "Synthesis of perfluoropolyether lubricants"
  "Extrusion-grade fluorinated ethylene propylene copolymer"
  "Organosilicon coupling agent for glass fibre"
  "Continuous production of silicon tetrafluoride"
  "Fluorocarbon anti-corrosion coating for steel structures"
  "Perfluorosulfonic acid proton exchange membrane"
  "Recovery of hydrogen fluoride from tail gas"
  "Purification of electronic-grade hydrofluoric acid"
  "Fluororubber sealing compound for new-energy vehicles"
  "ETFE film for architectural membranes"
  "Silicone thermal interface material"
  "Fluorinated graphite cathode material process"
  "Initiator system for vinylidene fluoride polymerization"
  "Catalyst for gas-phase fluorination of chlorinated alkanes"
)
nm=()
for i in $(seq 0 18); do
  nm+=("$(app_no $((2013 + i % 9)) "$(printf '%07d' $((1505117 + i * 81223)))")")
done
for i in "${!nm[@]}"; do patent "${nm[$i]}" qz-newmaterials "${nm_titles[$i]}"; done
echo "  (19 asset.register statements by the registry: ${nm[0]} ... ${nm[18]})"

items="" total=0
for i in "${!nm[@]}"; do
  value=$(( (1400000 + (i * 31 % 17) * 45000) * 100 ))
  total=$((total + value))
  items+="${items:+,
    }{\"asset_id\": \"patent:${nm[$i]}\", \"value\": {\"amount_fen\": $value, \"currency\": \"CNY\"}}"
done
next valuation-newmaterials-19-patents
cat >"$f" <<EOF
{"v": 1, "type": "valuation.attest", "submitter": "zj-appraisal",
 "body": {"valuation_id": "ZX-VAL-$year-0533", "items": [
    $items],
          "total": {"amount_fen": $total, "currency": "CNY"},
          "standard": "GB/T 42748-2023", "methods": ["income"],
          "base_date": "$(day '-15 days')", "report_sha256": "$(sha "ZX-VAL-$year-0533 report")"}}
EOF
post "$(last_name "$f")" zj-appraisal

next case-combination-loan
cat >"$f" <<EOF
{"v": 1, "type": "case.register", "submitter": "hzbank-quzhou",
 "body": {"case_id": "HZB-QZ-$year-C017", "debtor": "qz-newmaterials",
          "facility": {"amount_fen": 4500000000, "currency": "CNY"},
          "term": {"start": "$today", "end": "$(day '+3 years -1 day')"},
          "other_collateral": [{"kind": "real_estate",
                                "description": "Factory land use right and buildings, Qujiang fluorosilicon industrial park",
                                "amount": {"amount_fen": 2660000000, "currency": "CNY"}}]}}
EOF
post "$(last_name "$f")" hzbank-quzhou

collateral=""
for no in "${nm[@]}"; do collateral+="${collateral:+, }\"patent:$no\""; done
next pledge-newmaterials-19-patents
cat >"$f" <<EOF
{"v": 1, "type": "pledge.register", "submitter": "hzbank-quzhou",
 "body": {"pledge_id": "HZB-QZ-$year-P017", "case_id": "HZB-QZ-$year-C017",
          "pledgors": ["qz-newmaterials"], "debtor": "qz-newmaterials",
          "collateral": [$collateral],
          "secured": {"type": "loan", "amount": {"amount_fen": 1840000000, "currency": "CNY"}},
          "debt_term": {"start": "$today", "end": "$(day '+3 years -1 day')"},
          "valuation_ids": ["ZX-VAL-$year-0533"],
          "contract_sha256": "$(sha "HZB-QZ-$year-P017 pledge contract")"}}
EOF
post "$(last_name "$f")" hzbank-quzhou qz-newmaterials

fi  # story 4

# --- Story 5: a trademark pledge backed by a policy -------------------------------------------
if [[ $skip != *,5,* ]]; then

echo "Story 5: a trademark pledge backed by an infringement-loss policy:"
tm=21948376
next trademark-youzhi
cat >"$f" <<EOF
{"v": 1, "type": "asset.register", "submitter": "registry",
 "body": {"asset_id": "trademark:$tm", "kind": "trademark", "holders": ["youzhi-foods"],
          "trademark": {"reg_no": "$tm", "nice_class": 29,
                        "goods": ["preserved bamboo shoots", "dried edible fungi", "pickled vegetables"],
                        "reg_date": "$(day '-3 years')", "expiry_date": "$(day '+7 years -1 day')"}}}
EOF
post "$(last_name "$f")" registry

next policy-trademark
cat >"$f" <<EOF
{"v": 1, "type": "policy.issue", "submitter": "picc-quzhou",
 "body": {"policy_id": "PICC-TM-$year-0107", "product": "infringement_loss", "insured": "youzhi-foods",
          "loss_payees": ["quzhou-rcb"], "covered_assets": ["trademark:$tm"],
          "period": {"start": "$today", "end": "$(day '+1 year -1 day')"},
          "limit_per_claim": {"amount_fen": 30000000, "currency": "CNY"},
          "aggregate_limit": {"amount_fen": 60000000, "currency": "CNY"},
          "deductible": {"amount_fen": 200000, "currency": "CNY"},
          "covered_costs": ["investigation", "legal", "direct_loss"]}}
EOF
post "$(last_name "$f")" picc-quzhou

next pledge-trademark
cat >"$f" <<EOF
{"v": 1, "type": "pledge.register", "submitter": "quzhou-rcb",
 "body": {"pledge_id": "QZRCB-$year-T009", "pledgors": ["youzhi-foods"], "debtor": "youzhi-foods",
          "collateral": ["trademark:$tm"],
          "secured": {"type": "loan", "amount": {"amount_fen": 200000000, "currency": "CNY"}},
          "debt_term": {"start": "$today", "end": "$(day '+2 years -1 day')"},
          "valuation_ids": [], "contract_sha256": "$(sha "QZRCB-$year-T009 pledge contract")"}}
EOF
post "$(last_name "$f")" quzhou-rcb youzhi-foods

fi  # story 5

# --- Story 6: a second pledge of an already pledged patent ------------------------------------

echo "Story 6: a second pledge of patent:${agro[0]} (already pledged) is refused:"
next pledge-double-financing-attempt
cat >"$f" <<EOF
{"v": 1, "type": "pledge.register", "submitter": "quzhou-rcb",
 "body": {"pledge_id": "QZRCB-$year-P013", "pledgors": ["kecheng-agrochem"], "debtor": "kecheng-agrochem",
          "collateral": ["patent:${agro[0]}"],
          "secured": {"type": "loan", "amount": {"amount_fen": 150000000, "currency": "CNY"}},
          "debt_term": {"start": "$today", "end": "$(day '+1 year -1 day')"},
          "valuation_ids": [], "contract_sha256": "$(sha "QZRCB-$year-P013 pledge contract")"}}
EOF
name=$(last_name "$f")
"$cli" sign --statement "$f" --key "$keys/quzhou-rcb.key:quzhou-rcb/k1" \
  --key "$keys/kecheng-agrochem.key:kecheng-agrochem/k1" --out "$stmts/$name.env" 2>/dev/null
if out=$("$cli" submit --server "$server" --envelope "$stmts/$name.env" \
           --receipt-out "$receipts/$name.receipt.json"); then
  echo "$out"
  echo "demo.sh: the second pledge was accepted; it should have been refused" >&2
  exit 1
fi
if ! grep -q E_ALREADY_PLEDGED <<<"$out"; then
  echo "$out"
  echo "demo.sh: the second pledge was refused for another reason" >&2
  exit 1
fi
while IFS= read -r line; do echo "  $line"; done <<<"$out"
echo "  (refused as expected: the refusal is itself an entry of the log)"

# --- Witnesses: each institution registers its own witness key --------------------------------

# With --witnesses DIR (tools/run.sh): DIR/bank, DIR/insurer and DIR/regulator each hold a
# witness's witness.vkey (ipledger witness writes it) and url. The regulator joins the
# registry, and the bank, the insurer and the regulator each register their witness's key
# and URL with participant.keys ("role": "witness", signed by themselves), so that
# `ipledger witness-policy` derives the demo's policy from the log.
if [ -n "$witnesses" ]; then
  echo "Witnesses: each institution registers its witness's key in the log:"
  participant nfra-quzhou regulator 330800 "National Financial Regulatory Administration, Quzhou Branch"
  for pair in bank:ccb-quzhou insurer:picc-quzhou regulator:nfra-quzhou; do
    wname=${pair%%:*} who=${pair#*:}
    wvkey=$(tr -d ' \t\r\n' <"$witnesses/$wname/witness.vkey")
    wurl=$(tr -d ' \t\r\n' <"$witnesses/$wname/url")
    next "witness-key-$who"
    cat >"$f" <<EOF
{"v": 1, "type": "participant.keys", "submitter": "$who",
 "body": {"id": "$who", "add": [{"label": "w1", "role": "witness", "vkey": "$wvkey", "url": "$wurl"}],
          "revoke": []}}
EOF
    post "$(last_name "$f")" "$who"
  done
fi

echo "Demo loaded: $accepted statements accepted and 1 refused; receipts in $receipts/"
