"""Labelled samples for the PII / secret detectors: real-looking keys of the common providers, and
false-positive traps.

The keys are GENERATED here (seeded, so every run sees the same strings) in each provider's documented
format rather than written out: real-format tokens committed to a repository trip secret scanners
(GitHub push protection) and would be indistinguishable from a leak.
"""

from __future__ import annotations

import base64
import json
import random
import string

_rng = random.Random(20241123)
UP = string.ascii_uppercase
LO = string.ascii_lowercase
DIG = string.digits
ALNUM = UP + LO + DIG
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "_-"
HEX = "0123456789abcdef"


def rand(alphabet: str, n: int) -> str:
    # make sure mixed alphabets really mix (a digit, and both cases where the alphabet has them)
    while True:
        s = "".join(_rng.choice(alphabet) for _ in range(n))
        if any(c.isdigit() for c in s) or not any(c.isdigit() for c in alphabet):
            if not (set(alphabet) & set(UP) and set(alphabet) & set(LO)) or (any(c.isupper() for c in s) and any(c.islower() for c in s)):
                return s


def b64url(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).rstrip(b"=").decode()


def _private_key(kind: str) -> str:
    body = "\n".join(rand(B64, 64) for _ in range(6)) + "\n" + rand(B64, 20) + "=="
    label = f"{kind} PRIVATE KEY" if kind else "PRIVATE KEY"
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----"


def _jwt() -> str:
    header = b64url({"alg": "HS256", "typ": "JWT"})
    payload = b64url({"sub": "1234567890", "name": "Jane Roe", "iat": 1716239022})
    return f"{header}.{payload}.{rand(URLSAFE, 43)}"


# (provider, the secret value, the line of code it appears on, expected placeholder)
def provider_samples(seed: int = 20241123) -> list[tuple[str, str, str, str]]:
    _rng.seed(seed)  # the same keys on every call with the same seed
    s: list[tuple[str, str, str, str]] = []

    def add(provider: str, secret: str, line: str, placeholder: str = "<KEY>") -> None:
        s.append((provider, secret, line.replace("{S}", secret), placeholder))

    add("aws_access_key_id", "AKIA" + rand(UP + DIG, 16), 'aws_access_key_id = "{S}"')
    add("aws_access_key_id (ASIA, bare)", "ASIA" + rand(UP + DIG, 16), "export AWS_ACCESS_KEY_ID={S}")
    add("aws_secret_access_key", rand(B64, 40), 'aws_secret_access_key = "{S}"')
    add("aws_secret_access_key (ini)", rand(ALNUM, 40), "aws_secret_access_key = {S}")
    add("github ghp_", "ghp_" + rand(ALNUM, 36), 'GITHUB_TOKEN = "{S}"')
    add("github gho_", "gho_" + rand(ALNUM, 36), "curl -H 'Authorization: token {S}' https://api.github.com/user")
    add("github_pat_", "github_pat_" + rand(ALNUM, 22) + "_" + rand(ALNUM, 59), 'token: "{S}"')
    add("gitlab glpat-", "glpat-" + rand(URLSAFE.replace("-", ""), 20), 'gitlab_token = "{S}"')
    add("slack xoxb", f"xoxb-{rand(DIG, 12)}-{rand(DIG, 13)}-{rand(LO + DIG, 24)}", 'SLACK_BOT_TOKEN = "{S}"')
    add("slack xoxp", f"xoxp-{rand(DIG, 12)}-{rand(DIG, 12)}-{rand(DIG, 13)}-{rand(HEX, 32)}", "slack.token={S}")
    add("slack webhook", f"T{rand(UP + DIG, 10)}/B{rand(UP + DIG, 10)}/{rand(ALNUM, 24)}", 'url = "https://hooks.slack.com/services/{S}"')
    add("stripe sk_live_", "sk_live_" + rand(ALNUM, 24), "stripe.api_key = '{S}'")
    add("stripe rk_live_", "rk_live_" + rand(ALNUM, 99), "const key = `{S}`;")
    add("google AIza", "AIza" + rand(URLSAFE, 35), '<script src="https://maps.googleapis.com/maps/api/js?key={S}"></script>')
    add("openai sk-...T3BlbkFJ", "sk-" + rand(ALNUM, 20) + "T3BlbkFJ" + rand(ALNUM, 20), 'openai.api_key = "{S}"')
    add("openai sk-proj-", "sk-proj-" + rand(URLSAFE, 156), 'OPENAI_API_KEY="{S}"')
    add("openai sk- (legacy 48)", "sk-" + rand(ALNUM, 48), "client = OpenAI(api_key='{S}')")
    add("anthropic sk-ant-", "sk-ant-api03-" + rand(URLSAFE, 93) + "AA", 'ANTHROPIC_API_KEY = "{S}"')
    add("huggingface hf_", "hf_" + rand(UP + LO, 34), 'login(token="{S}")')
    add("jwt", _jwt(), 'headers = {"Authorization": "Bearer {S}"}')
    add("sendgrid", "SG." + rand(URLSAFE, 22) + "." + rand(URLSAFE, 43), "SENDGRID_API_KEY = '{S}'")
    add("twilio AC", "AC" + rand(HEX, 32), 'account_sid = "{S}"')
    add("twilio SK", "SK" + rand(HEX, 32), 'api_key_sid = "{S}"')
    add("mailchimp", rand(HEX, 32) + "-us14", 'MAILCHIMP_KEY = "{S}"')
    add("npm npm_", "npm_" + rand(ALNUM, 36), "//registry.npmjs.org/:_authToken={S}")
    add("pypi", "pypi-AgEIcHlwaS5vcmc" + rand(URLSAFE, 120), "password = {S}")
    add("discord bot", "M" + rand(URLSAFE, 23) + "." + rand(URLSAFE, 6) + "." + rand(URLSAFE, 27), "client.run('{S}')")
    add("telegram bot", rand(DIG, 10) + ":AA" + rand(URLSAFE, 33), 'TELEGRAM_TOKEN = "{S}"')
    add("azure storage", rand(B64, 86) + "==", 'conn = "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey={S};EndpointSuffix=core.windows.net"')
    add("square", "sq0csp-" + rand(URLSAFE, 43), 'SQUARE_SECRET = "{S}"')
    add("private key (RSA)", _private_key("RSA"), "{S}")
    add("private key (OPENSSH)", _private_key("OPENSSH"), "{S}")
    add("private key (PKCS8, in a string)", _private_key("").replace("\n", "\\n"), 'KEY = "{S}"')
    add("private key (EC)", _private_key("EC"), "{S}")
    add("generic api_key", rand(ALNUM, 32), 'api_key = "{S}"')
    add("generic client_secret (yaml)", rand(URLSAFE, 40), "client_secret: {S}")
    add("generic SECRET_KEY (.env)", rand(ALNUM + "!@%^*", 50).replace("#", "x"), "SECRET_KEY='{S}'")
    add("password assignment", "Tr0ub4dor&3", 'password = "{S}"', "<PASSWORD>")
    add("password in dict", "s3cr3t-P@ss", "DATABASES = {'default': {'PASSWORD': '{S}'}}", "<PASSWORD>")
    add("password shell env", "zX9-qq81Lm", "export DB_PASSWORD={S}", "<PASSWORD>")
    add("password yaml", "Wint3r2024!", "  password: {S}", "<PASSWORD>")
    add("passwd colon", "letmein42", 'config = {"passwd": "{S}"}', "<PASSWORD>")
    add("connection string", "Pa55w0rd-x1", "DATABASE_URL = 'postgres://admin:{S}@db.prod.acme-corp.io:5432/app'", "<PASSWORD>")
    add("connection string (redis)", "r3d1sK3y", 'REDIS = "redis://default:{S}@cache.acme-corp.io:6379/0"', "<PASSWORD>")
    add("email", "jane.roe@acme-corp.io", "# Contact: {S}", "<EMAIL>")
    add("email (users.noreply)", "12345678+janeroe@users.noreply.github.com", "Signed-off-by: Jane <{S}>", "<EMAIL>")
    add("ipv4 public", "52.14.201.7", 'HOST = "{S}"', "<IP_ADDRESS>")
    add("ipv4 public (in url)", "34.117.59.81", "curl http://{S}:8080/health", "<IP_ADDRESS>")
    add("ipv6 public", "2a00:1450:4007:80e::200e", "server {S};", "<IP_ADDRESS>")
    add("ipv6 public (full)", "2606:4700:4700:0000:0000:0000:0000:1111", 'ip6 = "{S}"', "<IP_ADDRESS>")
    return s


# A language for the samples that need one (the unquoted password / env forms are limited to them).
SAMPLE_LANGUAGE = {
    "aws_access_key_id (ASIA, bare)": "Shell",
    "aws_secret_access_key (ini)": "INI",
    "generic client_secret (yaml)": "YAML",
    "generic SECRET_KEY (.env)": "Dotenv",
    "password shell env": "Shell",
    "password yaml": "YAML",
    "npm npm_": "NPM Config",
    "pypi": "INI",
    "ipv6 public": "Nginx",
}


# Lines that must come out untouched (label, language, line).
TRAPS: list[tuple[str, str, str]] = [
    ("git SHA-1", "Python", 'commit = "3f786850e387550fdab836ed7e6dc881de23001b"'),
    ("git SHA-1 in a log", "Text", "Merge 9fceb02d0ae598e95dc970b74767f19372d61af8 into 4a1c7b2e9d3f0a6b8c5e2d1f7a9b3c6e8d0f2a4b"),
    ("SHA-256", "Python", 'EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"'),
    ("SRI integrity", "JSON", '"integrity": "sha512-3r6n9XyKqQ0B8pfnoO1U7Kc0yC2TCyJhXq2ENuFhbSK3bCcYQwQvZrN9jXhZ8mBq2m4P+ssQ7VUxKdWnmvFb4w=="'),
    ("UUID", "Python", 'request_id = "f47ac10b-58cc-4372-a567-0e02b2c3d479"'),
    ("UUID in Java", "Java", 'private static final UUID ID = UUID.fromString("123e4567-e89b-12d3-a456-426614174000");'),
    ("version quad", "Python", 'version = "1.2.3.4"'),
    ("__version__ quad", "Python", "__version__ = '10.0.0.1'"),
    ("v = quad", "Python", 'v = "8.8.4.11"'),
    ("Version: quad", "Text", "Version: 52.14.201.7"),
    ("requirement pin quad", "Pip Requirements", "somepkg==52.0.1.3"),
    ("assembly version", "C#", '[assembly: AssemblyVersion("4.3.2.1")]'),
    ("OID", "Python", 'OID_SERVER_AUTH = "1.3.6.1.5.5.7.3.1"'),
    ("five-part version", "Text", "Windows 10.0.19041.1415 build"),
    ("semver", "JavaScript", '"version": "2.31.0"'),
    ("float", "Python", "pi = 3.14159"),
    ("loopback", "Python", 'app.run(host="127.0.0.1", port=5000)'),
    ("unspecified", "Python", 'bind = "0.0.0.0:8000"'),
    ("private 192.168", "YAML", "gateway: 192.168.1.1"),
    ("private 10/8", "Shell", "ssh admin@10.0.0.5"),
    ("doc range 203.0.113", "Text", "e.g. 203.0.113.42"),
    ("public DNS", "Text", "nameserver 8.8.8.8"),
    ("IPv6 loopback", "Python", 'HOST = "::1"'),
    ("IPv6 doc range", "Text", "2001:db8::1"),
    ("C++ scope", "C++", "std::vector<int> v; Foo::Bar::baz(); ::operator new(n);"),
    ("C++ hex-looking scope", "C++", "Face::Bad(); Abc::Def x; dead::beef y;"),
    ("clock time", "Python", 'ts = "12:34:56"'),
    ("MAC address", "Text", "hwaddr 00:1a:2b:3c:4d:5e"),
    ("example.com email", "Python", 'EMAIL = "alice@example.com"'),
    ("example.org email", "Markdown", "Write to bob.smith@example.org or admin@mail.example.net."),
    ("noreply email", "YAML", "from: noreply@github.com"),
    ("no-reply email", "Python", 'sender = "no-reply@acme-corp.io"'),
    ("git ssh url", "Shell", "git clone git@github.com:owner/repo.git"),
    ("retina image", "CSS", "background: url(icon@2x.png);"),
    ("npm scoped package", "JavaScript", 'import x from "@babel/core@7.24.0";'),
    ("decorator", "Python", '@app.route("/login")'),
    ("base64 PNG fixture", "Python", 'PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="'),
    ("base64 fixture bytes", "Python", "DATA = base64.b64decode(b'U29tZSB0ZXN0IGZpeHR1cmUgZGF0YSB0aGF0IGlzIG5vdCBhIHNlY3JldCBhdCBhbGw=')"),
    ("source map data url", "JavaScript", "//# sourceMappingURL=data:application/json;base64,eyJ2ZXJzaW9uIjozLCJzb3VyY2VzIjpbImEuanMiXX0="),
    ("CSS hex colours", "CSS", ".btn { color: #ff00ff; background: #a1b2c3d4; border-color: #ABCDEF; }"),
    ("password from env", "Python", 'password = os.environ["DB_PASSWORD"]'),
    ("empty password", "Python", 'password = ""'),
    ("password template", "YAML", "password: ${DB_PASSWORD}"),
    ("password jinja", "YAML", 'password: "{{ vault_db_password }}"'),
    ("password = variable", "Python", "self.password = password"),
    ("password label", "Python", 'password_label = "Password:"'),
    ("password placeholder", "Python", 'password = "<PASSWORD>"'),
    ("password openapi", "JSON", '"password": "string"'),
    ("shell PWD", "Shell", "PWD=/home/user/project"),
    ("password prompt", "Python", 'password = getpass("Password: ")'),
    ("token type", "Python", 'token_type = "Bearer"'),
    ("api key placeholder", "Python", 'api_key = "YOUR_API_KEY_HERE"'),
    ("api key xxx", "Python", 'API_KEY = "xxxxxxxxxxxxxxxxxxxxxxxx"'),
    ("secret name not value", "Python", 'SECRET_KEY_SETTING = "DJANGO_SECRET_KEY"'),
    ("url with port, no password", "Python", 'url = "http://localhost:8080/api@v2"'),
    ("url with user only", "Shell", "git clone https://user@github.com/org/repo.git"),
    ("connection string template", "Python", 'dsn = "postgres://user:${PGPASSWORD}@db:5432/app"'),
    ("go.sum hash", "Go Checksums", "golang.org/x/text v0.14.0 h1:ScX5w1eTa3QqT8oi6+ziP7dTV1S2+ALU0bI+0zXKWiQ="),
]
