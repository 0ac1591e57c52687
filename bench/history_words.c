/*
 * history_words.c - the people and the words of bench/history_gen's plan:
 * who reports, the word lists and sentence templates, and the titles,
 * schedules, results and reasons made from them with the generator's
 * random numbers (history_gen.h).
 */
#include <stdio.h>
#include <string.h>

#include "history_gen.h"
#include "plan.h"

#define RESULT_MAX_CHARS 1500

const hg_person hg_people[] = {
	{"佐藤 健一", "k.sato", HG_ADMIN_DEPT},
	{"鈴木 美咲", "m.suzuki", HG_ADMIN_DEPT},
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

const size_t hg_people_count = NELEM(hg_people);

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

void hg_text_clear(hg_text *t)
{
	t->len = 0;
	t->buf[0] = '\0';
}

void hg_put(hg_text *t, const char *s, size_t n)
{
	if (t->len + n >= sizeof(t->buf))
		n = sizeof(t->buf) - 1 - t->len;
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

void hg_puts(hg_text *t, const char *s)
{
	hg_put(t, s, strlen(s));
}

void hg_putn(hg_text *t, unsigned long n, int grouped)
{
	char b[32];

	if (grouped && n >= 1000)
		snprintf(b, sizeof(b), "%lu,%03lu", n / 1000, n % 1000);
	else
		snprintf(b, sizeof(b), "%lu", n);
	hg_puts(t, b);
}

static size_t chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* Expands a template (see `sentences` and `schedules`) for `item` into `t`. */
static void expand(hg_gen *g, hg_text *t, const char *tmpl, const json_t *item, int year)
{
	const char *subject =
		subjects[json_integer_value(json_object_get(item, "id")) % NELEM(subjects)];
	const json_t *phases = json_object_get(g->settings, "phases");
	size_t nphases = json_array_size(phases), a = hg_below(g, nphases - 1);
	size_t b = a + 1 + hg_below(g, nphases - 1 - a);
	int month = 4 + (int)hg_below(g, 9);
	char fy[64];

	while (*tmpl) {
		const char *open = strchr(tmpl, '{');

		if (!open || !open[1] || open[2] != '}') {
			hg_puts(t, tmpl);
			return;
		}
		hg_put(t, tmpl, (size_t)(open - tmpl));
		switch (open[1]) {
		case 'S': hg_puts(t, subject); break;
		case 'N': hg_putn(t, 20 + hg_below(g, 9000), 1); break;
		case 'n': hg_putn(t, 2 + hg_below(g, 30), 0); break;
		case 'P': hg_putn(t, 5 + hg_below(g, 91), 0); break;
		case 'M': hg_putn(t, (unsigned long)((month - 1) % 12 + 1), 0); break;
		case 'm': hg_putn(t, (unsigned long)((month + 2) % 12 + 1), 0); break;
		case 'q': hg_putn(t, 1 + hg_below(g, 4), 0); break;
		case 'A': hg_puts(t, json_string_value(json_array_get(phases, a))); break;
		case 'B': hg_puts(t, json_string_value(json_array_get(phases, b))); break;
		case 'Y':
			kk_fy_format(fy, sizeof(fy), g->settings, year);
			hg_puts(t, fy);
			break;
		default: hg_put(t, open, 3); break;
		}
		tmpl = open + 3;
	}
}

void hg_make_schedule(hg_gen *g, hg_text *t, const json_t *item, int year)
{
	hg_text_clear(t);
	expand(g, t, schedules[hg_below(g, NELEM(schedules))], item, year);
}

void hg_make_result(hg_gen *g, hg_text *t, const json_t *item, int year, const char *old)
{
	int bullets = hg_below(g, 2) == 0;
	size_t n, i;

	hg_text_clear(t);
	if (old && hg_below(g, 10) < 3 && chars(old) < RESULT_MAX_CHARS) {
		hg_puts(t, old);
		hg_puts(t, bullets ? " ・" : " ");
		expand(g, t, sentences[hg_below(g, NELEM(sentences))], item, year);
		return;
	}
	n = 5 + hg_below(g, 7);
	for (i = 0; i < n; i++) {
		if (i)
			hg_puts(t, " ");
		if (bullets)
			hg_puts(t, "・");
		expand(g, t, sentences[hg_below(g, NELEM(sentences))], item, year);
	}
}

void hg_make_title(hg_gen *g, char *buf, size_t size, size_t id)
{
	snprintf(buf, size, "%s%s%s", subjects[id % NELEM(subjects)],
		 actions[(id / NELEM(subjects) + id) % NELEM(actions)],
		 areas[hg_below(g, NELEM(areas))]);
}

void hg_make_reason(hg_gen *g, hg_text *t, const char *field, const json_t *item, int year)
{
	const char *const *reasons = reasons_result;
	size_t n = NELEM(reasons_result);

	if (strcmp(field, "progress") == 0)
		reasons = reasons_progress, n = NELEM(reasons_progress);
	else if (strcmp(field, "achievement") == 0)
		reasons = reasons_achievement, n = NELEM(reasons_achievement);
	else if (strcmp(field, "revised") == 0)
		reasons = reasons_revised, n = NELEM(reasons_revised);
	hg_text_clear(t);
	expand(g, t, reasons[hg_below(g, n)], item, year);
}
