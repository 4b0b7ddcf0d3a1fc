package eventgen

import (
	"strconv"
)

// Word lists the catalog is built from. Every entry is plain ASCII with no
// character JSON would need to escape, so fragments are appended verbatim.
var (
	flagPrefixes = []string{"enable", "release", "show", "use", "allow", "rollout", "exp", "ops"}
	flagAreas    = []string{"checkout", "search", "dashboard", "billing", "onboarding", "profile", "cart", "pricing",
		"recommendations", "notifications", "payments", "login", "settings", "reports", "analytics", "mobile-nav", "inventory"}
	flagFeatures = []string{"redesign", "v2", "dark-mode", "banner", "beta", "sidebar", "cache", "rate-limit", "new-flow",
		"ai-summary", "one-click", "autocomplete", "pagination", "sso", "export"}

	firstNames = []string{"Sandy", "Alex", "Priya", "Jordan", "Mei", "Lukas", "Amara", "Diego", "Hannah", "Kenji",
		"Fatima", "Oliver", "Chloe", "Mateo", "Ingrid", "Samuel", "Aisha", "Noah", "Elena", "Tariq"}
	lastNames = []string{"Lee", "Garcia", "Patel", "Smith", "Chen", "Muller", "Okafor", "Rossi", "Kowalski", "Tanaka",
		"Haddad", "Brown", "Dubois", "Silva", "Larsen", "Novak", "Khan", "Walker", "Ivanova", "Nguyen"}
	emailDomains = []string{"example.com", "example.org", "mail.example.net", "corp.example.io"}
	countries    = []string{"US", "DE", "GB", "FR", "IN", "BR", "JP", "CA", "AU", "NL", "ES", "SE"}
	plans        = []string{"free", "starter", "pro", "enterprise"}
	groups       = []string{"beta-testers", "internal", "early-access", "vip", "qa"}
	companies    = []string{"Acme Corp", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries", "Wayne Enterprises",
		"Soylent", "Tyrell", "Cyberdyne", "Vandelay Industries", "Wonka"}
	tiers        = []string{"self-serve", "growth", "enterprise"}
	deviceOSes   = []string{"iOS", "Android", "macOS", "Windows", "Linux"}
	deviceModels = []string{"iPhone 15", "Pixel 8", "Galaxy S24", "MacBook Pro", "ThinkPad X1", "iPad Air"}
	appVersions  = []string{"4.12.0", "4.12.1", "4.13.0", "5.0.0-beta.2", "5.0.1"}

	stringVariations = [][]string{
		{"control", "treatment-a", "treatment-b"},
		{"blue", "green", "orange"},
		{"v1", "v2", "v3", "v4"},
		{"off", "read-only", "full"},
	}
	numberVariations = [][]string{
		{"0", "10", "25", "50", "100"},
		{"100", "250", "500", "1000"},
		{"0.5", "1.5", "2.75"},
	}
	jsonVariations = [][]string{
		{`{"limit":10,"mode":"fast"}`, `{"limit":50,"mode":"accurate"}`},
		{`{"colors":["#1f6feb","#ffffff"],"layout":"grid"}`, `{"colors":["#0d1117","#c9d1d9"],"layout":"list"}`, `{"colors":["#ff7b72","#ffa657"],"layout":"cards"}`},
		{`{"endpoints":["https://api.example.com/v1","https://api-eu.example.com/v1"],"timeoutMs":1500,"retries":2}`, `{"endpoints":["https://api.example.com/v2"],"timeoutMs":800,"retries":3}`},
	}

	customEventKeys = []string{"checkout-completed", "add-to-cart", "search-performed", "signup-completed",
		"video-played", "error-shown", "feature-used", "invite-sent"}
	// Metrics carry a metricValue; the second field is its typical magnitude.
	metricEventKeys   = []string{"page-load-time-ms", "api-latency-ms", "purchase-amount", "session-length-s"}
	metricMagnitudes  = []int{2500, 400, 250, 1800}
	customDataSources = []string{"web", "ios", "android", "api"}
	pageURLs          = []string{"https://app.example.com/", "https://app.example.com/pricing", "https://app.example.com/checkout",
		"https://app.example.com/settings/billing", "https://app.example.com/search?q=shoes", "https://www.example.com/blog/launch"}
	clickSelectors = []string{"button.cta", "a.signup", "#buy-now", "nav .pricing-link", "form#checkout button[type=submit]"}
)

const hexDigits = "0123456789abcdef"

// flag is one feature flag of the catalog, with its JSON fragments ready to append.
type flag struct {
	key        string
	variations []string // JSON values
	defaultVal string   // JSON value
	offVar     int
	fallVar    int
	version    int
	ruleIDs    []string
	prereq     string // key of a flag this one is a prerequisite of, or ""
	trackEvts  bool
}

// user is one user context: inner is `"key":..,"name":..` without braces,
// rich adds the attributes identify and index events carry.
type user struct {
	key   string
	inner string
	rich  string
}

type keyed struct {
	key   string
	inner string
}

// catalog holds the flags and contexts events are drawn from.
type catalog struct {
	flags   []flag
	users   []user
	orgs    []keyed
	devices []keyed
}

const (
	catalogFlags   = 80
	catalogUsers   = 5000
	catalogOrgs    = 300
	catalogDevices = 2000
)

func newCatalog(r *rng) *catalog {
	c := &catalog{}
	seen := map[string]bool{}
	for len(c.flags) < catalogFlags {
		key := pick(r, flagPrefixes) + "-" + pick(r, flagAreas) + "-" + pick(r, flagFeatures)
		if seen[key] {
			continue
		}
		seen[key] = true
		c.flags = append(c.flags, newFlag(r, key))
	}
	for i := range c.flags {
		if r.intn(10) == 0 {
			c.flags[i].prereq = c.flags[r.intn(len(c.flags))].key
		}
	}
	for range catalogUsers {
		c.users = append(c.users, newUser(r))
	}
	for range catalogOrgs {
		key := "org-" + hexString(r, 4)
		c.orgs = append(c.orgs, keyed{key: key, inner: `"key":"` + key + `","name":"` + pick(r, companies) + `","tier":"` + pick(r, tiers) + `"`})
	}
	for range catalogDevices {
		key := "device-" + hexString(r, 8)
		c.devices = append(c.devices, keyed{key: key, inner: `"key":"` + key + `","os":"` + pick(r, deviceOSes) +
			`","model":"` + pick(r, deviceModels) + `","appVersion":"` + pick(r, appVersions) + `"`})
	}
	return c
}

func newFlag(r *rng, key string) flag {
	f := flag{key: key, version: 1 + r.intn(300), trackEvts: r.intn(5) == 0}
	switch n := r.intn(10); {
	case n < 6:
		f.variations = []string{"true", "false"}
		f.defaultVal = "false"
		f.offVar = 1
	case n < 8:
		f.variations = pick(r, stringVariations)
		f.defaultVal = f.variations[0]
		f.variations = quoteAll(f.variations)
		f.defaultVal = strconv.Quote(f.defaultVal)
	case n < 9:
		f.variations = pick(r, numberVariations)
		f.defaultVal = f.variations[0]
	default:
		f.variations = pick(r, jsonVariations)
		f.defaultVal = "null"
	}
	f.fallVar = r.intn(len(f.variations))
	for range r.intn(5) {
		f.ruleIDs = append(f.ruleIDs, uuid(r))
	}
	return f
}

func newUser(r *rng) user {
	if r.intn(10) == 0 {
		key := "anon-" + hexString(r, 12)
		inner := `"key":"` + key + `","anonymous":true`
		return user{key: key, inner: inner, rich: inner + `,"country":"` + pick(r, countries) + `"`}
	}
	key := "user-" + hexString(r, 6)
	first, last := pick(r, firstNames), pick(r, lastNames)
	inner := `"key":"` + key + `","name":"` + first + " " + last + `"`
	rich := inner + `,"email":"` + lower(first) + "." + lower(last) + "@" + pick(r, emailDomains) +
		`","country":"` + pick(r, countries) + `","plan":"` + pick(r, plans) + `","createdAt":` +
		strconv.FormatInt(baseMillis/1000-int64(r.intn(3*365*86400)), 10)
	if r.intn(3) == 0 {
		rich += `,"groups":["` + pick(r, groups) + `"]`
	}
	rich += `,"_meta":{"privateAttributes":["email"]}`
	return user{key: key, inner: inner, rich: rich}
}

func pick[T any](r *rng, xs []T) T { return xs[r.intn(len(xs))] }

func quoteAll(xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = strconv.Quote(x)
	}
	return out
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func hexString(r *rng, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = hexDigits[r.intn(16)]
	}
	return string(b)
}

func uuid(r *rng) string {
	return hexString(r, 8) + "-" + hexString(r, 4) + "-" + hexString(r, 4) + "-" + hexString(r, 4) + "-" + hexString(r, 12)
}
