/*
 * history_gen - a long plan history, as a `git fast-import` stream on stdout.
 * Not a test: bench/history_run feeds it to git and times the audit queries
 * on the result (see docs/performance.md).
 *
 *   history_gen [--items N] [--commits M] [--seed S] [--plan DIR] [--schema DIR]
 *               [--stats FILE] | git fast-import
 *
 * The history is one a plan repository could have had under keikakud:
 *
 *   2020-04-01  the first commit, as `keikaku init --from DIR` makes it: DIR's
 *               keikaku.json (fiscal year 2020 open, 2021 and 2022 planned),
 *               departments.json and plan.json, a copy of the schemas, and N
 *               items (default 10,000) with a planned schedule for each year;
 *   then        M commits (default 100,000), one field of one item each, in
 *               keikakud's message format (summary, reason, trailers), by
 *               about twenty people acting for a department that owns the
 *               item, committed by keikakud, times spread evenly from
 *               2020-04-01 to 2022-06-30 (+0900);
 *   2021-04-01  an admin opens fiscal year 2021,
 *   2021-04-30  closes 2020, tagged fy2020 (no years.2020 field changes after),
 *   2022-04-01  opens 2022,
 *   2022-05-31  closes 2021, tagged fy2021,
 *
 * each as keikakud's year.open and year.close make them (core/plan/year), so
 * that at the end 2020 and 2021 are closed and 2022 is open.
 *
 * Each commit changes a field of an open year that an owner may change
 * (revised, progress, achievement, result; planned schedules stay frozen),
 * always with a reason; in April and May the closing year's reports and
 * the new year's share the commits.  The items changed are skewed but
 * deterministic for a seed: 2% of the commits go to 5 items, 10% to 1% of
 * the items, the rest to any item, so a typical item has about ten commits
 * and a few have hundreds.  Every file is written by kk_canon_dump with its schema, so the
 * repository passes `keikaku verify` and `git fsck --strict`.
 *
 * --stats FILE writes KEY=VALUE lines: the most changed item, a typical one
 * (the median number of changes), and the counts.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "array.h"
#include "canon.h"
#include "fileset.h"
#include "json.h"
#include "plan.h"
#include "update.h"
#include "year.h"

#ifndef KK_SOURCE_DIR
#define KK_SOURCE_DIR "."
#endif

#define SUMMARY_VALUE_MAX 24 /* as in core/plan/update.c's summaries */
#define RESULT_MAX_CHARS  1500
#define TEXT_MAX	  16384
#define ADMIN_DEPT	  "デジタル戦略課"

#define NELEM(a) (sizeof(a) / sizeof(*(a)))

typedef struct person {
	const char *name;
	const char *user;
	const char *dept;
} person;

/* The people who report; the first is the plan office's administrator. */
static const person people[] = {
	{"佐藤 健一", "k.sato", ADMIN_DEPT},
	{"鈴木 美咲", "m.suzuki", ADMIN_DEPT},
	{"高橋 大輔", "d.takahashi", "収税課"},
	{"田中 由美", "y.tanaka", "財政課"},
	{"伊藤 誠", "m.ito", "税務課"},
	{"渡辺 直子", "n.watanabe", "市民課"},
	{"山本 拓也", "t.yamamoto", "市民課"},
	{"中村 恵", "m.nakamura", "公民館ほか"},
	{"小林 翔太", "s.kobayashi", "健康増進課"},
	{"加藤 彩", "a.kato", "社会福祉課"},
	{"吉田 浩二", "k.yoshida", "子ども福祉課"},
	{"山田 真理子", "m.yamada", "高齢福祉課"},
	{"佐々木 亮", "r.sasaki", "こども育成支援センター"},
	{"山口 智子", "t.yamaguchi", "総務課"},
	{"松本 隆", "t.matsumoto", "公民館"},
	{"井上 さやか", "s.inoue", "秘書課"},
	{"木村 修", "o.kimura", "市立病院"},
	{"林 和也", "k.hayashi", "農業委員会事務局"},
	{"清水 優子", "y.shimizu", "資産経営課"},
	{"森 健太郎", "k.mori", "総務課"},
};

/* Word lists, packed by hand. */
/* clang-format off */
static const char *const subjects[] = {
	"住民票の写しの交付申請", "印鑑登録証明書の交付申請", "児童手当の認定請求", "保育所の入所申込み", "要介護認定の申請",
	"粗大ごみの収集申込み", "公民館の利用予約", "体育館の利用予約", "図書館の資料予約", "市税の口座振替", "軽自動車税の申告",
	"固定資産税の証明書交付", "国民健康保険の加入手続き", "後期高齢者医療の申請", "犬の登録申請", "狂犬病予防注射の受付", "道路占用許可申請",
	"入札参加資格審査申請", "職員採用試験の申込み", "特定健診の予約", "予防接種の予約", "母子健康手帳の交付", "就学援助の申請",
	"放課後児童クラブの申込み", "農地転用の届出", "水道の使用開始届", "転入・転出の届出", "マイナンバーカードの交付予約", "市民相談の受付",
	"会議録の公開", "例規集の管理", "庁内会議の資料配布", "業務委託契約の締結", "公用車の予約管理", "職員の出退勤管理", "文書の収受と保存",
	"広報紙の配信", "防災情報の配信", "市政懇談会の配信", "ふるさと納税の受付",
};

static const char *const actions[] = {
	"のオンライン化", "の電子化", "へのキャッシュレス決済の導入", "の予約システムの導入", "における押印の廃止", "のペーパーレス化",
	"へのチャットボットの導入", "の手続きの簡素化", "のRPAによる自動化", "へのAI-OCRの活用", "のオンライン相談への対応",
	"の基幹システムとのデータ連携",
};

static const char *const areas[] = {
	"", "", "", "", "（北部地区）", "（南部地区）", "（東部地区）", "（西部地区）", "（中央地区）", "（本庁舎）", "（支所）",
	"（第2期）", "（第3期）", "（試行）", "（全庁展開）", "（窓口）", "（出張所）", "（市民センター）",
};
/* clang-format on */

/*
 * Templates of result sentences: {S} the item's subject, {N} a count,
 * {n} a small count, {P} a percentage, {M} a month, {Y} the fiscal year.
 */
static const char *const sentences[] = {
	"{S}について、{M}月から電子申請の受付を開始した。",
	"{Y}の申請件数は{N}件で、うちオンラインによる申請は{P}%であった。",
	"関係課と調整を行い、対象となる手続きの洗い出しを完了した。",
	"システム事業者と仕様の協議を行い、{M}月に契約を締結した。",
	"職員向けの操作研修を{n}回実施し、延べ{N}人が参加した。",
	"利用者アンケートでは、回答者の{P}%が「便利になった」と回答した。",
	"新型コロナウイルス感染症の影響により、実証実験の開始が{M}月にずれ込んだ。",
	"国の標準仕様の公表を待って、システムの改修内容を見直した。",
	"窓口での待ち時間は平均{n}分短縮された。",
	"市ホームページと広報紙で周知を行った。",
	"LINE公式アカウントでの案内を開始し、登録者数は{N}人となった。",
	"マイナンバーカードを利用した本人確認の方法について検討した。",
	"庁内の推進会議で進捗を報告し、次年度の対象範囲を決定した。",
	"予算の確保ができなかったため、導入は次年度以降に見送ることとした。",
	"紙の申請書の様式を{n}種類削減した。",
	"処理に要する時間は年間で約{N}時間の削減が見込まれる。",
	"他自治体の導入事例を調査し、費用対効果を比較した。",
	"情報セキュリティポリシーとの整合を確認し、個人情報の取扱いを定めた。",
	"{M}月末時点での進捗はおおむね計画どおりである。",
	"高齢者向けにスマートフォン教室を{n}回開催した。",
	"既存システムとのデータ連携について、{M}月から試験運用を行っている。",
	"問い合わせ件数は前年度と比べて{P}%減少した。",
	"キャッシュレス決済の利用率は{P}%となった。",
	"電子申請の対象手続きを{n}件追加した。",
	"運用マニュアルを作成し、各課に配布した。",
	"課題として、操作に不慣れな利用者への支援が挙げられる。",
	"今後は対象業務を拡大し、さらなる効率化を図る。",
	"{S}の実施状況について、担当課へのヒアリングを行った。",
	"タブレット端末を{n}台追加で調達した。",
	"庁舎内の無線LANの増強工事を{M}月に完了した。",
	"{S}に係る事務の流れを見直し、決裁の電子化を進めた。",
	"実証実験の結果を踏まえ、本格導入に向けた課題を整理した。",
};

static const char *const schedules[] = {
	"{A}, {B}",
	"上期: {A}、下期: {B}",
	"{M}月までに{A}を完了し、{B}へ移行",
	"{S}の{A}",
	"{A}（{M}月～{m}月）",
	"{A}を行い、年度内に{B}",
	"対象業務の{A}、{B}の準備",
};

static const char *const reasons_revised[] = {
	"関係機関との調整に時間を要したため",
	"国の標準仕様の公表が遅れたため",
	"予算措置の見直しによる",
	"システム事業者との協議の結果、工程を見直した",
	"新型コロナウイルス感染症の影響により、日程を変更",
	"庁内の推進会議での決定による",
	"対象手続きの追加に伴い、スケジュールを変更",
};

static const char *const reasons_progress[] = {
	"{M}月末時点の進捗を報告",
	"第{q}四半期の進捗報告",
	"推進会議での報告に合わせて更新",
};

static const char *const reasons_result[] = {
	"{M}月末時点の実績を反映",
	"取組内容を追記",
	"件数の集計結果を反映",
	"表記の修正",
};

static const char *const reasons_achievement[] = {
	"年度末の達成状況を報告",
	"導入完了の報告",
	"達成度の見直し",
};

static const char *const progress_codes[] = {"ahead", "on_track", "behind"};

/* The periods of the history, each with the fiscal years owners may change. */
enum { FY2020_ONLY, FY2020_REPORT, FY2021, FY2021_REPORT, FY2022 };

/* An admin's change of a fiscal year's state, or a tag, at a fixed time. */
typedef struct milestone {
	time_t at;
	int year;  /* an admin opens or closes this fiscal year */
	int close; /* and tags the commit that closes it */
	const char *reason;
	int period; /* the period that starts here */
} milestone;

typedef struct gen {
	uint64_t rng;
	size_t items;
	size_t commits;
	json_t *settings;
	json_t *departments;
	json_t *structure;
	const json_t *item_schema;
	kk_fileset schemas;	  /* "schema/NAME.schema.json" -> bytes */
	json_t *schema_docs;	  /* path -> parsed schema */
	json_t **item;		  /* item[id], 1-based */
	size_t *changes;	  /* commits per item, 1-based */
	const char **owner_depts; /* departments with someone to act for them */
	size_t owner_dept_count;
	size_t *dept_turn; /* per person-department: whose turn it is */
	size_t hot5[5], hot5_count;
	size_t *hot100, hot100_count;
	size_t mark; /* the last commit's fast-import mark */
	FILE *out;
} gen;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("history_gen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		die("out of memory");
	return p;
}

/* splitmix64: small, fast, and the same stream for the same seed everywhere. */
static uint64_t rnd(gen *g)
{
	uint64_t z = (g->rng += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static size_t below(gen *g, size_t n)
{
	return (size_t)(rnd(g) % n);
}

/* Midnight-based local time in Japan (+0900) as a Unix time. */
static time_t jst(int y, int mon, int d, int h, int min)
{
	struct tm tm = {
		.tm_year = y - 1900, .tm_mon = mon - 1, .tm_mday = d, .tm_hour = h, .tm_min = min};

	return timegm(&tm) - 9 * 3600;
}

/* --- text --------------------------------------------------------------- */

typedef struct text {
	char buf[TEXT_MAX];
	size_t len;
} text;

static void put(text *t, const char *s, size_t n)
{
	if (t->len + n >= sizeof(t->buf))
		n = sizeof(t->buf) - 1 - t->len;
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

static void puts_(text *t, const char *s)
{
	put(t, s, strlen(s));
}

static void putn(text *t, unsigned long n, int grouped)
{
	char b[32];

	if (grouped && n >= 1000)
		snprintf(b, sizeof(b), "%lu,%03lu", n / 1000, n % 1000);
	else
		snprintf(b, sizeof(b), "%lu", n);
	puts_(t, b);
}

static size_t chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* Expands a template (see `sentences` and `schedules`) for `item` into `t`. */
static void expand(gen *g, text *t, const char *tmpl, const json_t *item, int year)
{
	const char *subject =
		subjects[json_integer_value(json_object_get(item, "id")) % NELEM(subjects)];
	const json_t *phases = json_object_get(g->settings, "phases");
	size_t nphases = json_array_size(phases), a = below(g, nphases - 1);
	size_t b = a + 1 + below(g, nphases - 1 - a);
	int month = 4 + (int)below(g, 9);
	char fy[64];

	while (*tmpl) {
		const char *open = strchr(tmpl, '{');

		if (!open || !open[1] || open[2] != '}') {
			puts_(t, tmpl);
			return;
		}
		put(t, tmpl, (size_t)(open - tmpl));
		switch (open[1]) {
		case 'S': puts_(t, subject); break;
		case 'N': putn(t, 20 + below(g, 9000), 1); break;
		case 'n': putn(t, 2 + below(g, 30), 0); break;
		case 'P': putn(t, 5 + below(g, 91), 0); break;
		case 'M': putn(t, (unsigned long)((month - 1) % 12 + 1), 0); break;
		case 'm': putn(t, (unsigned long)((month + 2) % 12 + 1), 0); break;
		case 'q': putn(t, 1 + below(g, 4), 0); break;
		case 'A': puts_(t, json_string_value(json_array_get(phases, a))); break;
		case 'B': puts_(t, json_string_value(json_array_get(phases, b))); break;
		case 'Y':
			kk_fy_format(fy, sizeof(fy), g->settings, year);
			puts_(t, fy);
			break;
		default: put(t, open, 3); break;
		}
		tmpl = open + 3;
	}
}

static void make_schedule(gen *g, text *t, const json_t *item, int year)
{
	t->len = 0;
	t->buf[0] = '\0';
	expand(g, t, schedules[below(g, NELEM(schedules))], item, year);
}

/* A result of a few hundred characters; `old` (may be NULL) is sometimes extended. */
static void make_result(gen *g, text *t, const json_t *item, int year, const char *old)
{
	int bullets = below(g, 2) == 0;
	size_t n, i;

	t->len = 0;
	t->buf[0] = '\0';
	if (old && below(g, 10) < 3 && chars(old) < RESULT_MAX_CHARS) {
		puts_(t, old);
		puts_(t, bullets ? " ・" : " ");
		expand(g, t, sentences[below(g, NELEM(sentences))], item, year);
		return;
	}
	n = 5 + below(g, 7);
	for (i = 0; i < n; i++) {
		if (i)
			puts_(t, " ");
		if (bullets)
			puts_(t, "・");
		expand(g, t, sentences[below(g, NELEM(sentences))], item, year);
	}
}

/* --- plan files ----------------------------------------------------------- */

static const json_t *schema_doc(gen *g, const char *path)
{
	const json_t *doc = json_object_get(g->schema_docs, path);

	if (!doc)
		die("schema '%s' is missing", path);
	return doc;
}

/* The canonical bytes of plan file `path`; free() them. */
static char *dump(gen *g, size_t *len_out, const json_t *value, const char *path)
{
	kk_diag diag = {0};
	char *buf = NULL;

	if (kk_canon_dump(&buf, len_out, value, schema_doc(g, kk_plan_schema_for(path)), &diag) < 0)
		die("cannot write '%s': %s", path, diag.message);
	return buf;
}

static json_t *load(const char *dir, const char *name)
{
	char path[4096];
	kk_diag diag = {0};
	json_t *v = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (kk_json_load_file(&v, path, NULL, &diag) < 0)
		die("cannot read '%s': %s", path, diag.message);
	return v;
}

static int is_schema(const char *path)
{
	size_t n = strlen(path);

	return !strchr(path, '/') && n > 12 && strcmp(path + n - 12, ".schema.json") == 0;
}

static void load_plan(gen *g, const char *plan_dir, const char *schema_dir)
{
	kk_fileset raw = {0};
	kk_diag diag = {0};
	json_t *dept;
	size_t i, j;

	if (kk_fileset_read_dir(&raw, schema_dir, is_schema, &diag) < 0)
		die("cannot read the schemas in '%s': %s", schema_dir, diag.message);
	g->schema_docs = json_object();
	for (i = 0; i < raw.count; i++) {
		char path[KK_DIAG_PATH_MAX];
		json_t *doc = NULL;

		snprintf(path, sizeof(path), "schema/%s", raw.files[i].path);
		if (kk_fileset_put(&g->schemas, path, raw.files[i].data, raw.files[i].len, &diag) <
			    0 ||
		    kk_json_parse(&doc, raw.files[i].data, raw.files[i].len, NULL, &diag) < 0)
			die("schema '%s': %s", path, diag.message);
		json_object_set_new(g->schema_docs, path, doc);
	}
	kk_fileset_clear(&raw);
	g->item_schema = schema_doc(g, KK_SCHEMA_ITEM);

	g->settings = load(plan_dir, KK_PATH_SETTINGS);
	g->departments = load(plan_dir, KK_PATH_DEPARTMENTS);
	g->structure = load(plan_dir, KK_PATH_STRUCTURE);
	/* The history starts at the beginning of fiscal year 2020. */
	json_object_set_new(
		g->settings, "years",
		json_pack("{s:s, s:s, s:s}", "2020", "open", "2021", "planned", "2022", "planned"));
	if (json_array_size(json_object_get(g->settings, "phases")) < 2)
		die("'%s' needs at least two phases", KK_PATH_SETTINGS);

	for (i = 0; i < NELEM(people); i++)
		if (!kk_plan_department(g->departments, people[i].dept))
			die("department '%s' of '%s' is not in %s/%s", people[i].dept,
			    people[i].name, plan_dir, KK_PATH_DEPARTMENTS);
	g->owner_depts = xcalloc(NELEM(people), sizeof(*g->owner_depts));
	g->dept_turn = xcalloc(NELEM(people), sizeof(*g->dept_turn));
	json_array_foreach(json_object_get(g->departments, "departments"), i, dept) {
		const char *name = json_string_value(json_object_get(dept, "name"));

		for (j = 0; j < NELEM(people); j++)
			if (strcmp(people[j].dept, name) == 0)
				break;
		if (j < NELEM(people))
			g->owner_depts[g->owner_dept_count++] = people[j].dept;
	}
}

/* Every measure of plan.json, as (pillar, section, measure). */
static json_int_t (*measures(const json_t *structure, size_t *count))[3]
{
	json_int_t(*out)[3] = NULL;
	size_t n = 0, alloc = 0, i, j, k;
	json_t *p, *s, *m;

	json_array_foreach(json_object_get(structure, "pillars"), i, p)
		json_array_foreach(json_object_get(p, "sections"), j, s)
			json_array_foreach(json_object_get(s, "measures"), k, m) {
				if (KK_ARRAY_GROW(out, n + 1, alloc) < 0)
					die("out of memory");
				out[n][0] = json_integer_value(json_object_get(p, "number"));
				out[n][1] = json_integer_value(json_object_get(s, "number"));
				out[n][2] = json_integer_value(json_object_get(m, "number"));
				n++;
			}
	*count = n;
	return out;
}

/* Tells whether `d` is in the array of department names `list`. */
static int listed(const json_t *list, const char *d)
{
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v) {
		if (strcmp(json_string_value(v), d) == 0)
			return 1;
	}
	return 0;
}

static json_t *make_item(gen *g, size_t id, json_int_t where[3])
{
	json_t *owners = json_array(), *related = json_array(), *years = json_object(), *item;
	const json_t *all = json_object_get(g->departments, "departments");
	size_t nowners = below(g, 100) < 85 || g->owner_dept_count < 2 ? 1 : 2, i;
	char title[512];
	text t;

	while (json_array_size(owners) < nowners) {
		const char *d = g->owner_depts[below(g, g->owner_dept_count)];

		if (!listed(owners, d))
			json_array_append_new(owners, json_string(d));
	}
	for (i = below(g, 3); i > 0; i--) {
		const char *d =
			below(g, 2) ? ADMIN_DEPT
				    : json_string_value(json_object_get(
					      json_array_get(all, below(g, json_array_size(all))),
					      "name"));

		if (!listed(owners, d) && !listed(related, d))
			json_array_append_new(related, json_string(d));
	}
	snprintf(title, sizeof(title), "%s%s%s", subjects[id % NELEM(subjects)],
		 actions[(id / NELEM(subjects) + id) % NELEM(actions)],
		 areas[below(g, NELEM(areas))]);
	item = json_pack("{s:I, s:I, s:I, s:I, s:s, s:o, s:o, s:s, s:o}", "id", (json_int_t)id,
			 "pillar", where[0], "section", where[1], "measure", where[2], "title",
			 title, "owners", owners, "related", related, "status", "open", "years",
			 years);
	if (!item)
		die("out of memory");
	for (int year = 2020; year <= 2022; year++) {
		char key[8];

		snprintf(key, sizeof(key), "%d", year);
		make_schedule(g, &t, item, year);
		json_object_set_new(years, key, json_pack("{s:s}", "planned", t.buf));
	}
	return item;
}

/* --- fast-import output ------------------------------------------------------ */

static void data(gen *g, const char *buf, size_t len)
{
	fprintf(g->out, "data %zu\n", len);
	fwrite(buf, 1, len, g->out);
	fputc('\n', g->out);
}

static void begin_commit(gen *g, const person *author, const person *committer, time_t at,
			 const char *message)
{
	g->mark++;
	fprintf(g->out, "commit refs/heads/main\nmark :%zu\n", g->mark);
	fprintf(g->out, "author %s <%s@city.example> %lld +0900\n", author->name, author->user,
		(long long)at);
	if (committer)
		fprintf(g->out, "committer %s <%s@city.example> %lld +0900\n", committer->name,
			committer->user, (long long)at);
	else
		fprintf(g->out, "committer keikakud <keikakud@city.example> %lld +0900\n",
			(long long)at);
	data(g, message, strlen(message));
}

static void file(gen *g, const char *path, const char *buf, size_t len)
{
	fprintf(g->out, "M 100644 inline %s\n", path);
	data(g, buf, len);
}

static void put_item(gen *g, size_t id)
{
	char path[KK_ITEM_PATH_MAX], *buf;
	size_t len;

	if (kk_item_path(path, sizeof(path), (json_int_t)id) < 0)
		die("item id %zu is out of range", id);
	buf = dump(g, &len, g->item[id], path);
	file(g, path, buf, len);
	free(buf);
}

static void tag(gen *g, const char *name, size_t mark, time_t at, const char *message)
{
	fprintf(g->out, "tag %s\nfrom :%zu\n", name, mark);
	fprintf(g->out, "tagger %s <%s@city.example> %lld +0900\n", people[0].name, people[0].user,
		(long long)at);
	data(g, message, strlen(message));
}

static void first_commit(gen *g, time_t at)
{
	char message[512], *buf;
	size_t len, i;

	snprintf(message, sizeof(message), "Create plan '%s' with %zu items\n",
		 json_string_value(json_object_get(g->settings, "title")), g->items);
	begin_commit(g, &people[0], &people[0], at, message);
	buf = dump(g, &len, g->settings, KK_PATH_SETTINGS);
	file(g, KK_PATH_SETTINGS, buf, len);
	free(buf);
	buf = dump(g, &len, g->departments, KK_PATH_DEPARTMENTS);
	file(g, KK_PATH_DEPARTMENTS, buf, len);
	free(buf);
	buf = dump(g, &len, g->structure, KK_PATH_STRUCTURE);
	file(g, KK_PATH_STRUCTURE, buf, len);
	free(buf);
	for (i = 0; i < g->schemas.count; i++)
		file(g, g->schemas.files[i].path, g->schemas.files[i].data,
		     g->schemas.files[i].len);
	for (i = 1; i <= g->items; i++)
		put_item(g, i);
}

/* Every file of the plan as it is now, for core's decisions on the whole plan. */
static void current_files(gen *g, kk_fileset *set)
{
	const char *paths[] = {KK_PATH_SETTINGS, KK_PATH_DEPARTMENTS, KK_PATH_STRUCTURE};
	const json_t *docs[] = {g->settings, g->departments, g->structure};
	char path[KK_ITEM_PATH_MAX], *buf;
	kk_diag diag = {0};
	size_t len, i;

	for (i = 0; i < g->schemas.count; i++)
		if (kk_fileset_put_file(set, &g->schemas.files[i], &diag) < 0)
			die("%s", diag.message);
	for (i = 0; i < g->items + NELEM(paths); i++) {
		if (i >= g->items)
			snprintf(path, sizeof(path), "%s", paths[i - g->items]);
		else
			kk_item_path(path, sizeof(path), (json_int_t)(i + 1));
		buf = dump(g, &len, i >= g->items ? docs[i - g->items] : g->item[i + 1], path);
		if (kk_fileset_put(set, path, buf, len, &diag) < 0)
			die("%s", diag.message);
		free(buf);
	}
}

/*
 * An admin opens or closes fiscal year `year` as keikakud's year.open and
 * year.close do: core/plan/year decides, the commit changes keikaku.json (and
 * gives open items without an entry for the year an empty one), and
 * closing tags the commit fyYYYY.
 */
static void year_commit(gen *g, time_t at, int year, int close, const char *reason)
{
	kk_fileset files = {0}, changed = {0};
	kk_year_change change = {0};
	kk_diag diag = {0};
	char key[16], name[KK_YEAR_TAG_MAX], *buf, *message, *tag_message;
	json_t *years, *id;
	size_t len, i;

	current_files(g, &files);
	if ((close ? kk_year_close : kk_year_open)(&change, &files, year, &diag) < 0)
		die("cannot %s fiscal year %d: %s", close ? "close" : "open", year, diag.message);
	snprintf(key, sizeof(key), "%d", year);
	json_object_set_new(json_object_get(g->settings, "years"), key,
			    json_string(close ? "closed" : "open"));
	json_array_foreach(change.items, i, id)
		json_object_set_new(json_object_get(g->item[json_integer_value(id)], "years"), key,
				    json_object());
	buf = dump(g, &len, g->settings, KK_PATH_SETTINGS);
	if (kk_fileset_put(&changed, KK_PATH_SETTINGS, buf, len, &diag) < 0)
		die("%s", diag.message);
	years = json_pack("[s]", key);
	message = kk_commit_message(&(kk_commit_info){change.summary, reason, change.items, years,
						      ADMIN_DEPT, NULL, 0, &changed});
	tag_message = close ? kk_year_tag_message(g->settings, year, &change.counts) : NULL;
	if (!years || !message || (close && !tag_message))
		die("out of memory");
	begin_commit(g, &people[0], NULL, at, message);
	file(g, KK_PATH_SETTINGS, buf, len);
	json_array_foreach(change.items, i, id)
		put_item(g, (size_t)json_integer_value(id));
	if (close) {
		kk_year_tag_name(name, sizeof(name), year);
		tag(g, name, g->mark, at, tag_message);
	}
	free(tag_message);
	free(message);
	free(buf);
	json_decref(years);
	kk_year_change_clear(&change);
	kk_fileset_clear(&changed);
	kk_fileset_clear(&files);
}

/* --- one update ------------------------------------------------------------ */

static size_t pick_item(gen *g)
{
	size_t r = below(g, 1000), id;

	if (r < 20)
		id = g->hot5[below(g, g->hot5_count)];
	else if (r < 120)
		id = g->hot100[below(g, g->hot100_count)];
	else
		id = 1 + below(g, g->items);
	return id;
}

/* A person acting for one of the item's owners, in turn within each department. */
static const person *pick_author(gen *g, const json_t *item, const char **dept_out)
{
	const json_t *owners = json_object_get(item, "owners");
	const char *dept =
		json_string_value(json_array_get(owners, below(g, json_array_size(owners))));
	size_t first = NELEM(people), count = 0, turn, i;

	for (i = 0; i < NELEM(people); i++)
		if (strcmp(people[i].dept, dept) == 0 && !count++)
			first = i;
	if (!count)
		die("nobody acts for '%s'", dept);
	turn = g->dept_turn[first]++ % count;
	for (i = first; strcmp(people[i].dept, dept) != 0 || turn--; i++)
		;
	*dept_out = dept;
	return &people[i];
}

/* Appends `s` cut to SUMMARY_VALUE_MAX characters, as keikakud's summaries show values. */
static void put_value(text *t, const char *field, const char *s)
{
	size_t n = 0, i;

	if (s && strcmp(field, "progress") == 0 && kk_progress_mark(s))
		s = kk_progress_mark(s);
	else if (s && strcmp(field, "achievement") == 0 && kk_achievement_label(s))
		s = kk_achievement_label(s);
	if (!s)
		s = "—";
	for (i = 0; s[i] && n < SUMMARY_VALUE_MAX; i++)
		n += ((unsigned char)s[i] & 0xC0) != 0x80;
	while (s[i] && ((unsigned char)s[i] & 0xC0) == 0x80)
		i++;
	put(t, s, i);
	if (s[i])
		puts_(t, "…");
}

/* The field an owner changes in fiscal year `year` during `period`. */
static const char *pick_field(gen *g, int period, int year)
{
	size_t r = below(g, 100);
	int reporting = (period == FY2020_REPORT && year == 2020) ||
			(period == FY2021_REPORT && year == 2021);

	if (reporting)
		return r < 55 ? "result" : r < 85 ? "achievement" : "progress";
	return r < 40 ? "result" : r < 70 ? "progress" : r < 95 ? "revised" : "achievement";
}

static void update(gen *g, time_t at, int period)
{
	size_t id = pick_item(g);
	json_t *item = g->item[id], *y, *old, *items, *years;
	int year;
	const char *field, *dept, *const *reasons;
	size_t nreasons;
	char key[8], fy[64], *message, *prev = NULL;
	const person *author;
	text value, summary, reason;

	switch (period) {
	case FY2020_ONLY: year = 2020; break;
	case FY2020_REPORT: year = below(g, 2) ? 2020 : 2021; break;
	case FY2021: year = 2021; break;
	case FY2021_REPORT: year = below(g, 2) ? 2021 : 2022; break;
	default: year = 2022; break;
	}
	snprintf(key, sizeof(key), "%d", year);
	y = json_object_get(json_object_get(item, "years"), key);
	field = pick_field(g, period, year);
	old = json_object_get(y, field);
	if (old)
		prev = strdup(json_string_value(old));

	if (strcmp(field, "progress") == 0) {
		const char *now = prev ? prev : "";
		const char *next;

		do
			next = progress_codes[below(g, NELEM(progress_codes))];
		while (strcmp(next, now) == 0);
		value.len = 0;
		value.buf[0] = '\0';
		puts_(&value, next);
		reasons = reasons_progress, nreasons = NELEM(reasons_progress);
	} else if (strcmp(field, "achievement") == 0) {
		value.len = 0;
		value.buf[0] = '\0';
		puts_(&value, prev	    ? (strcmp(prev, "open") == 0 ? "completed" : "open")
			      : below(g, 2) ? "completed"
					    : "open");
		reasons = reasons_achievement, nreasons = NELEM(reasons_achievement);
	} else if (strcmp(field, "revised") == 0) {
		do
			make_schedule(g, &value, item, year);
		while (prev && strcmp(prev, value.buf) == 0);
		reasons = reasons_revised, nreasons = NELEM(reasons_revised);
	} else {
		do
			make_result(g, &value, item, year, prev);
		while (prev && strcmp(prev, value.buf) == 0);
		reasons = reasons_result, nreasons = NELEM(reasons_result);
	}
	json_object_set_new(y, field, json_string(value.buf));

	summary.len = 0;
	summary.buf[0] = '\0';
	kk_fy_format(fy, sizeof(fy), g->settings, year);
	{
		char head[64];

		snprintf(head, sizeof(head), "%03zu ", id);
		puts_(&summary, head);
	}
	puts_(&summary, json_string_value(json_object_get(item, "title")));
	puts_(&summary, " · ");
	puts_(&summary, fy);
	puts_(&summary, " ");
	puts_(&summary, kk_field_label(field));
	if (strcmp(field, "result") != 0) {
		puts_(&summary, ": ");
		put_value(&summary, field, prev);
		puts_(&summary, " → ");
		put_value(&summary, field, value.buf);
	}
	reason.len = 0;
	reason.buf[0] = '\0';
	expand(g, &reason, reasons[below(g, nreasons)], item, year);

	author = pick_author(g, item, &dept);
	items = json_pack("[I]", (json_int_t)id);
	years = json_pack("[s]", key);
	message = kk_commit_message(
		&(kk_commit_info){summary.buf, reason.buf, items, years, dept, NULL, 0, NULL});
	if (!items || !years || !message)
		die("out of memory");
	begin_commit(g, author, NULL, at, message);
	put_item(g, id);
	g->changes[id]++;
	free(message);
	free(prev);
	json_decref(items);
	json_decref(years);
}

/* --- main ----------------------------------------------------------------- */

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

static void write_stats(gen *g, const char *path)
{
	size_t *sorted = xcalloc(g->items, sizeof(*sorted)), hot = 1, typical = 0, median, i;
	FILE *f = fopen(path, "w");

	if (!f)
		die("cannot write '%s': %s", path, strerror(errno));
	for (i = 1; i <= g->items; i++) {
		sorted[i - 1] = g->changes[i];
		if (g->changes[i] > g->changes[hot])
			hot = i;
	}
	qsort(sorted, g->items, sizeof(*sorted), cmp_size);
	median = sorted[g->items / 2];
	/* The typical item: the first with the median count, a little way into the plan. */
	for (i = 1 + g->items / 3; !typical; i = i % g->items + 1)
		if (g->changes[i] == median)
			typical = i;
	fprintf(f, "items=%zu\ncommits=%zu\nhot_item=%zu\nhot_commits=%zu\n", g->items, g->commits,
		hot, g->changes[hot]);
	fprintf(f, "typical_item=%zu\ntypical_commits=%zu\nmedian_commits=%zu\n", typical,
		g->changes[typical], median);
	fprintf(f, "min_commits=%zu\nmax_commits=%zu\ntotal_commits=%zu\n", sorted[0],
		sorted[g->items - 1], g->mark);
	if (fclose(f) != 0)
		die("cannot write '%s': %s", path, strerror(errno));
	free(sorted);
}

static void usage(FILE *out)
{
	fprintf(out, "usage: history_gen [--items N] [--commits M] [--seed S] [--plan DIR]\n"
		     "                   [--schema DIR] [--stats FILE] | git fast-import\n");
}

static size_t number(const char *s, const char *what, size_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v > max)
		die("bad %s '%s'", what, s);
	return (size_t)v;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"items", required_argument, NULL, 'i'},  {"commits", required_argument, NULL, 'c'},
		{"seed", required_argument, NULL, 's'},	  {"plan", required_argument, NULL, 'p'},
		{"schema", required_argument, NULL, 'S'}, {"stats", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},	  {NULL, 0, NULL, 0},
	};
	const char *plan_dir = KK_SOURCE_DIR "/examples/dx-plan-r3";
	const char *schema_dir = KK_SOURCE_DIR "/schema", *stats = NULL;
	gen g = {.items = 10000, .commits = 100000, .rng = 1, .out = stdout};
	time_t start = jst(2020, 4, 1, 9, 0), end = jst(2022, 6, 30, 18, 0);
	/* In time order. */
	const milestone milestones[] = {
		{jst(2021, 4, 1, 8, 30), 2021, 0, "令和3年度の計画期間の開始", FY2020_REPORT},
		{jst(2021, 4, 30, 17, 30), 2020, 1, "令和2年度の実績報告の確定", FY2021},
		{jst(2022, 4, 1, 8, 30), 2022, 0, "令和4年度の計画期間の開始", FY2021_REPORT},
		{jst(2022, 5, 31, 17, 30), 2021, 1, "令和3年度の実績報告の確定", FY2022},
	};
	size_t next = 0, measure_count, i;
	json_int_t(*where)[3];
	time_t last = start;
	int c, period = FY2020_ONLY;
	static char outbuf[1 << 20];

	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 'i': g.items = number(optarg, "--items", KK_ITEM_ID_MAX); break;
		case 'c': g.commits = number(optarg, "--commits", 10000000); break;
		case 's': g.rng = number(optarg, "--seed", SIZE_MAX); break;
		case 'p': plan_dir = optarg; break;
		case 'S': schema_dir = optarg; break;
		case 't': stats = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || g.items == 0) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	load_plan(&g, plan_dir, schema_dir);
	where = measures(g.structure, &measure_count);
	if (!measure_count)
		die("'%s/%s' has no measures", plan_dir, KK_PATH_STRUCTURE);

	g.item = xcalloc(g.items + 1, sizeof(*g.item));
	g.changes = xcalloc(g.items + 1, sizeof(*g.changes));
	for (i = 1; i <= g.items; i++)
		g.item[i] = make_item(&g, i, where[(i - 1) % measure_count]);
	g.hot5_count = g.items < 5 ? g.items : 5;
	for (i = 0; i < g.hot5_count; i++)
		g.hot5[i] = 1 + below(&g, g.items);
	g.hot100_count = g.items / 100 ? (g.items / 100 < 100 ? g.items / 100 : 100) : 1;
	g.hot100 = xcalloc(g.hot100_count, sizeof(*g.hot100));
	for (i = 0; i < g.hot100_count; i++)
		g.hot100[i] = 1 + below(&g, g.items);

	fputs("feature done\n", g.out);
	first_commit(&g, start);
	for (i = 0; i <= g.commits; i++) {
		/* Each commit in its own slot of the span, so times only increase. */
		time_t at = i < g.commits ? start + 3600 +
						    (time_t)(((double)(end - start - 3600) *
							      ((double)i +
							       (double)below(&g, 1000) / 1000.0)) /
							     (double)g.commits)
					  : end + 1;

		while (next < NELEM(milestones) && milestones[next].at <= at) {
			const milestone *m = &milestones[next++];

			last = m->at > last ? m->at : last + 1;
			year_commit(&g, last, m->year, m->close, m->reason);
			period = m->period;
		}
		if (i == g.commits)
			break;
		if (at <= last)
			at = last + 1;
		update(&g, at, period);
		last = at;
	}
	fputs("done\n", g.out);
	if (fflush(g.out) != 0 || ferror(g.out))
		die("cannot write the stream: %s", strerror(errno));
	if (stats)
		write_stats(&g, stats);
	fprintf(stderr, "history_gen: %zu items, %zu commits (%zu in all)\n", g.items, g.commits,
		g.mark);

	for (i = 1; i <= g.items; i++)
		json_decref(g.item[i]);
	free(g.item);
	free(g.changes);
	free(g.hot100);
	free(g.owner_depts);
	free(g.dept_turn);
	free(where);
	kk_fileset_clear(&g.schemas);
	json_decref(g.schema_docs);
	json_decref(g.settings);
	json_decref(g.departments);
	json_decref(g.structure);
	return 0;
}
