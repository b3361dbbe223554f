"""The rule registry: every rule the core applies, with its article and rule-set version.

Art. 15 says the Protocol changes only by separate amending protocols. So a rule is
identified by a stable id and belongs to a versioned rule set; every decision names
both, and an amendment becomes a new ``RULESET_VERSION`` rather than a silent edit.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: The text in force: the Protocol signed in Moscow on 23 December 2014, unamended.
RULESET_VERSION = "csto-it-2014.1"

#: The languages a rule is worded in; Russian first, the default (Art. 13: working language).
LANGUAGES: tuple[str, ...] = ("ru", "kk", "en")


def language(lang: str) -> str:
    """``kk``, ``kk-KZ`` or ``kk_KZ`` → ``kk``; a language without a wording → ``ru``."""
    code = lang.strip().lower().replace("_", "-").partition("-")[0]
    return code if code in LANGUAGES else LANGUAGES[0]


#: A number of an article or a paragraph, or a range of them: ``6``, ``16–18``.
_NUMBER = r"(\d+(?:\s*[–-]\s*\d+)?)"
_ARTICLE = re.compile(rf"\bArt\.\s*{_NUMBER}")
_PARA = re.compile(rf"\bpara\s+{_NUMBER}")


def _kk(noun: str) -> Callable[[re.Match[str]], str]:
    """``6`` → ``6-бап``, ``16–18`` → ``16–18-баптар``: the number first, with a hyphen."""

    def cite(match: re.Match[str]) -> str:
        number = re.sub(r"\s*[–-]\s*", "–", match[1])
        return f"{number}-{noun}тар" if "–" in number else f"{number}-{noun}"

    return cite


def article_in(article: str, lang: str) -> str:
    """An article label of the registry (kept in English) in a language of ``LANGUAGES``.

    ``Art. 6 para 2`` → ``Art. 6 para 2`` (en), ``ст. 6 п. 2`` (ru), ``6-бап 2-тармақ`` (kk);
    ``Art. 6–9`` → ``6–9-баптар`` (kk). Anything else (``—``) is kept; an unknown language
    gets Russian.
    """
    match language(lang):
        case "en":
            return article
        case "kk":
            return _PARA.sub(_kk("тармақ"), _ARTICLE.sub(_kk("бап"), article))
        case _:
            return _PARA.sub(r"п. \1", _ARTICLE.sub(r"ст. \1", article))


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    article: str
    text_en: str
    text_ru: str
    text_kk: str

    def text(self, lang: str) -> str:
        """The rule's text in ``lang`` (``en``, ``ru``, ``kk``); Russian for any other."""
        match language(lang):
            case "en":
                return self.text_en
            case "kk":
                return self.text_kk
            case _:
                return self.text_ru


def _rules(*rules: Rule) -> dict[str, Rule]:
    return {r.id: r for r in rules}


RULES: dict[str, Rule] = _rules(
    Rule(
        "art3.category",
        "Art. 3",
        "the crime category must be one of Art. 3 (a), (b) or (c)",
        "категория преступления должна соответствовать ст. 3 (a), (b) или (c)",
        "қылмыс санаты 3-баптың (a), (b) немесе (c) тармақшаларының біріне сәйкес келуге тиіс",
    ),
    Rule(
        "art3.qualification",
        "Art. 3",
        "the national legal qualification (article of the criminal code) is required",
        "требуется правовая квалификация по национальному законодательству",
        "ұлттық заңнама бойынша құқықтық саралау (қылмыстық кодекстің бабы) көрсетілуге тиіс",
    ),
    Rule(
        "art4.designated",
        "Art. 4",
        "cooperation runs only between designated competent bodies",
        "взаимодействие осуществляется только между уполномоченными компетентными органами",
        "өзара іс-қимыл тек уәкілетті құзыретті органдар арасында жүзеге асырылады",
    ),
    Rule(
        "art4.distinct_parties",
        "Art. 4",
        "the requesting and the requested body must belong to different Parties",
        "запрашивающий и запрашиваемый органы должны принадлежать разным Сторонам",
        "сұрау салушы орган мен сұрау салынатын орган әртүрлі Тараптарға жатуға тиіс",
    ),
    Rule(
        "art5.record_kind",
        "Art. 5 para 1",
        "information is exchanged on crimes, persons, methods of countering them, new methods "
        "of committing them, national laws and international treaties",
        "обмен информацией ведётся о преступлениях, лицах, формах и методах противодействия, "
        "новых способах совершения преступлений, законодательстве и международных договорах",
        "ақпарат алмасу қылмыстар, тұлғалар, қарсы іс-қимыл нысандары мен әдістері, қылмыс "
        "жасаудың жаңа тәсілдері, заңнама және халықаралық шарттар туралы жүргізіледі",
    ),
    Rule(
        "art5.record_required",
        "Art. 5 para 1",
        "a record of information must state this field",
        "запись информации должна содержать это поле",
        "ақпарат жазбасы осы өрісті қамтуға тиіс",
    ),
    Rule(
        "art5.person",
        "Art. 5 para 1",
        "a person involved is named (in the original script, with transliterations if known)",
        "лицо, причастное к преступлению, указывается по имени (в оригинальном написании "
        "и, если известно, в транслитерации)",
        "қылмысқа қатысы бар тұлға аты-жөнімен көрсетіледі (түпнұсқа жазылуында және, "
        "белгілі болса, транслитерациясымен)",
    ),
    Rule(
        "art5.identifier",
        "Art. 5 para 1",
        "an identifier must be valid for its kind",
        "идентификатор должен соответствовать своему виду",
        "сәйкестендіргіш өз түріне сәйкес келуге тиіс",
    ),
    Rule(
        "art10.state_secret",
        "Art. 10 para 3",
        "information constituting a state secret is exchanged only under the CSTO agreement "
        "of 18 June 2004 on mutual protection of classified information, by its own channel, "
        "never through this system",
        "сведения, составляющие государственную тайну, передаются только в соответствии с "
        "Соглашением ОДКБ о взаимном обеспечении сохранности секретной информации от "
        "18 июня 2004 года, по своему каналу, и не через эту систему",
        "мемлекеттік құпияны құрайтын мәліметтер тек ҰҚШҰ-ның 2004 жылғы 18 маусымдағы "
        "құпия ақпараттың сақталуын өзара қамтамасыз ету туралы келісіміне сәйкес, өз арнасы "
        "арқылы беріледі, осы жүйе арқылы емес",
    ),
    Rule(
        "art10.purposes",
        "Art. 10 para 2",
        "information is provided for stated purposes: name at least one permitted purpose",
        "информация предоставляется для заявленных целей: укажите хотя бы одну допустимую цель",
        "ақпарат мәлімделген мақсаттар үшін беріледі: кемінде бір рұқсат етілген мақсатты "
        "көрсетіңіз",
    ),
    Rule(
        "art10.confidentiality",
        "Art. 10 para 1",
        "the confidentiality level must be one the national law of the providing Party "
        "defines: open, for official use or confidential",
        "уровень конфиденциальности должен быть определён законодательством предоставляющей "
        "Стороны: открыто, для служебного пользования или конфиденциально",
        "құпиялылық деңгейі ақпарат беретін Тараптың заңнамасымен айқындалуға тиіс: ашық, "
        "қызмет бабында пайдалану үшін немесе құпия",
    ),
    Rule(
        "art10.not_shared",
        "Art. 10 para 1",
        "the record was not provided to this Party",
        "запись не предоставлялась этой Стороне",
        "жазба осы Тарапқа берілмеген",
    ),
    Rule(
        "art10.revoked",
        "Art. 10 para 2",
        "the providing body has revoked the record",
        "предоставивший орган отозвал запись",
        "ақпарат берген орган жазбаны кері қайтарып алды",
    ),
    Rule(
        "art10.purpose",
        "Art. 10 para 2",
        "information received may not be used for purposes other than those for which it was "
        "provided without the consent of the body that provided it",
        "полученная информация не может быть использована в иных целях, чем те, для которых "
        "она предоставлена, без согласия предоставившего её органа",
        "алынған ақпарат оны берген органның келісімінсіз ол берілген мақсаттардан басқа "
        "мақсаттарда пайдаланылмайды",
    ),
    Rule(
        "art10.onward",
        "Art. 10 para 2",
        "the providing body did not allow this record to be passed on to another Party",
        "предоставивший орган не разрешил передавать эту запись другой Стороне",
        "ақпарат берген орган бұл жазбаны басқа Тарапқа беруге рұқсат етпеген",
    ),
    Rule(
        "art10.owner",
        "Art. 10 para 2",
        "only the body that provided the record may change, revoke or share it, or answer "
        "a request for consent",
        "изменять, отзывать или передавать запись, а также отвечать на запрос согласия может "
        "только предоставивший её орган",
        "жазбаны өзгертуге, кері қайтарып алуға, беруге немесе келісім сұрауына жауап беруге "
        "тек оны берген орган құқылы",
    ),
    Rule(
        "art6.required",
        "Art. 6 para 2",
        "a request must state this field",
        "запрос должен содержать это поле",
        "сұрау салу осы өрісті қамтуға тиіс",
    ),
    Rule(
        "art6.assistance_item",
        "Art. 6 para 2",
        "each item of assistance sought is an operational-search measure or a procedural action",
        "каждый пункт запрашиваемой помощи — оперативно-розыскное мероприятие "
        "или процессуальное действие",
        "сұралатын көмектің әрбір тармағы жедел-іздестіру іс-шарасы немесе процестік әрекет "
        "болуға тиіс",
    ),
    Rule(
        "art6.written",
        "Art. 6 para 3",
        "a request is sent in writing: it must be signed before it is sent",
        "запрос направляется в письменной форме: он должен быть подписан до отправки",
        "сұрау салу жазбаша нысанда жіберіледі: оған жіберілгенге дейін қол қойылуға тиіс",
    ),
    Rule(
        "art6.urgent",
        "Art. 6 para 4",
        "only an urgent request about a crime being prepared may be sent before its written form",
        "только срочный запрос о готовящемся преступлении может быть передан до письменного",
        "жазбаша нысанда жіберілгенге дейін тек дайындалып жатқан қылмыс туралы шұғыл сұрау салу "
        "ғана берілуі мүмкін",
    ),
    Rule(
        "art6.urgent_confirmation",
        "Art. 6 para 4",
        "an urgent request must be confirmed in writing within 72 hours of its transmission",
        "срочный запрос должен быть письменно подтверждён в течение 72 часов",
        "шұғыл сұрау салу берілген сәттен бастап 72 сағат ішінде жазбаша расталуға тиіс",
    ),
    Rule(
        "art6.signatory",
        "Art. 6 para 5",
        "a request is signed by the head of the requesting body or a deputy",
        "запрос подписывается руководителем запрашивающего органа или его заместителем",
        "сұрау салуға сұрау салушы органның басшысы немесе оның орынбасары қол қояды",
    ),
    Rule(
        "art6.attachment",
        "Art. 6 para 2",
        "an attachment needs a file name, a size and a SHA-256 digest",
        "вложение должно иметь имя файла, размер и хэш SHA-256",
        "қосымшада файлдың атауы, көлемі және SHA-256 хэші болуға тиіс",
    ),
    Rule(
        "art7.execution_term",
        "Art. 7 para 2",
        "a request is executed within 30 days of its receipt unless another term is agreed",
        "запрос исполняется в срок не более 30 дней с даты его получения",
        "егер өзге мерзім келісілмесе, сұрау салу ол алынған күннен бастап 30 күннен аспайтын "
        "мерзімде орындалады",
    ),
    Rule(
        "art7.delay_notice",
        "Art. 7 para 3",
        "the requesting Party is informed at once of circumstances that prevent "
        "or substantially delay execution",
        "запрашивающая Сторона незамедлительно уведомляется об обстоятельствах, "
        "препятствующих исполнению",
        "орындауға кедергі келтіретін немесе оны едәуір кідіртетін мән-жайлар туралы сұрау салушы "
        "Тарапқа дереу хабарланады",
    ),
    Rule(
        "art7.forwarding",
        "Art. 7 para 4",
        "a request outside the body's competence is passed within 3 days of receipt to the "
        "competent body of the same state, informing the requesting body at the same time",
        "запрос вне компетенции передаётся в течение 3 дней компетентному органу "
        "своего государства с одновременным уведомлением запрашивающего органа",
        "органның құзыретіне жатпайтын сұрау салу ол алынған күннен бастап 3 күн ішінде өз "
        "мемлекетінің құзыретті органына беріледі, бұл туралы сұрау салушы органға бір мезгілде "
        "хабарланады",
    ),
    Rule(
        "art7.additional_information",
        "Art. 7 para 5",
        "the requested Party may ask for additional information",
        "запрашиваемая Сторона вправе запросить дополнительные сведения",
        "сұрау салынатын Тарап қосымша мәліметтер сұратуға құқылы",
    ),
    Rule(
        "art7.postponement",
        "Art. 7 para 6",
        "execution may be postponed, informing the requesting Party",
        "исполнение может быть отсрочено с уведомлением запрашивающей Стороны",
        "сұрау салушы Тарапты хабардар ете отырып, орындау кейінге қалдырылуы мүмкін",
    ),
    Rule(
        "art7.conditions",
        "Art. 7 para 6",
        "execution may be made subject to conditions after consultations; "
        "accepted conditions bind the requesting Party",
        "исполнение может быть обусловлено условиями; принятые условия обязательны",
        "консультациялардан кейін орындау белгілі бір шарттар сақталған жағдайда жүзеге асырылуы "
        "мүмкін; қабылданған шарттар сұрау салушы Тарап үшін міндетті",
    ),
    Rule(
        "art7.results",
        "Art. 7 para 7",
        "the results of execution are reported to the requesting Party",
        "о результатах исполнения сообщается запрашивающей Стороне",
        "орындау нәтижелері туралы сұрау салушы Тарапқа хабарланады",
    ),
    Rule(
        "art9.reasons",
        "Art. 9 para 2",
        "a refusal, in full or in part, is notified in writing with its reasons",
        "об отказе, полном или частичном, уведомляют письменно с указанием причин",
        "орындаудан толық немесе ішінара бас тарту туралы себептері көрсетіле отырып, жазбаша "
        "хабарланады",
    ),
    Rule(
        "art9.refusal",
        "Art. 9 para 1",
        "execution may be refused in full or in part if it contradicts national law",
        "в исполнении может быть отказано полностью или частично",
        "егер орындау ұлттық заңнамаға қайшы келсе, орындаудан толық немесе ішінара бас тартылуы "
        "мүмкін",
    ),
    Rule(
        "art8.participation",
        "Art. 8",
        "where needed and agreed with the requested Party, representatives of the requesting "
        "body may take part in executing the request, while its execution is pending or under way",
        "при необходимости и по согласованию с запрашиваемой Стороной представители "
        "запрашивающего органа могут присутствовать при исполнении запроса, пока оно не завершено",
        "қажет болған жағдайда және сұрау салынатын Тараппен келісім бойынша сұрау салушы "
        "органның өкілдері сұрау салу орындалып біткенге дейін оны орындауға қатыса алады",
    ),
    Rule(
        "art8.representatives",
        "Art. 8",
        "a participation request names each representative of the requesting body with their "
        "post, the days and the actions they would take part in",
        "в запросе об участии указываются каждый представитель запрашивающего органа и его "
        "должность, даты и действия, в которых он будет участвовать",
        "қатысу туралы сұрау салуда сұрау салушы органның әрбір өкілі, оның лауазымы, қатысатын "
        "күндері мен әрекеттері көрсетіледі",
    ),
    Rule(
        "art8.answer",
        "Art. 8",
        "the requested body's head or deputy agrees to the participation or refuses it, with "
        "reasons for a refusal",
        "руководитель запрашиваемого органа или его заместитель соглашается на участие или "
        "отказывает в нём с указанием причин",
        "сұрау салынатын органның басшысы немесе оның орынбасары қатысуға келісім береді немесе "
        "себептерін көрсете отырып бас тартады",
    ),
    Rule(
        "art8.not_agreed",
        "Art. 8",
        "only a representative agreed by the requested body can be recorded as having taken part",
        "участвовавшим может быть записан только представитель, согласованный запрашиваемым "
        "органом",
        "қатысқан ретінде тек сұрау салынатын орган келіскен өкіл ғана жазылуы мүмкін",
    ),
    Rule(
        "art11.consultation",
        "Art. 11",
        "disputes are settled by consultations and negotiations; the record names the "
        "participants, the date, the subject and the outcome",
        "споры разрешаются путём консультаций и переговоров; в записи указываются участники, "
        "дата, предмет и итог",
        "даулар консультациялар мен келіссөздер арқылы шешіледі; жазбада қатысушылар, күні, "
        "мәні және нәтижесі көрсетіледі",
    ),
    Rule(
        "art12.costs",
        "Art. 12",
        "each Party bears its own costs unless agreed otherwise in each case",
        "каждая Сторона самостоятельно несёт свои расходы, если в каждом конкретном случае не "
        "согласован иной порядок",
        "әр нақты жағдайда өзгеше келісілмесе, әр Тарап өз шығыстарын өзі көтереді",
    ),
    Rule(
        "art12.answer",
        "Art. 12",
        "a cost proposal is accepted or rejected once, by the other body's head or deputy",
        "предложение о расходах принимает или отклоняет один раз руководитель другого органа или "
        "его заместитель",
        "шығыстар туралы ұсынысты басқа органның басшысы немесе оның орынбасары бір рет қабылдайды "
        "немесе қабылдамайды",
    ),
    Rule(
        "art16.in_force",
        "Art. 16",
        "the Protocol must be in force for both Parties on the date of the action",
        "Протокол должен действовать для обеих Сторон на дату действия",
        "әрекет жасалған күні Хаттама екі Тарап үшін де күшінде болуға тиіс",
    ),
    Rule(
        "art18.withdrawal",
        "Art. 18",
        "a withdrawal takes effect no earlier than 6 months after its written notice",
        "выход вступает в силу не ранее чем через 6 месяцев после уведомления",
        "Хаттамадан шығу ол туралы жазбаша хабарламадан кейін кемінде 6 ай өткен соң күшіне енеді",
    ),
    Rule(
        "lifecycle.transition",
        "Art. 6–9",
        "this action is not allowed in the request's current state",
        "это действие недопустимо в текущем состоянии запроса",
        "сұрау салудың ағымдағы күйінде бұл әрекетке жол берілмейді",
    ),
    Rule(
        "lifecycle.withdrawal",
        "Art. 6 para 1",
        "the requesting body may withdraw its request until it is finished",
        "запрашивающий орган может отозвать свой запрос до его завершения",
        "сұрау салушы орган өз сұрау салуын ол аяқталғанға дейін кері қайтарып ала алады",
    ),
    Rule(
        "lifecycle.role",
        "Art. 4",
        "this action is reserved to another role or another competent body",
        "это действие относится к другой роли или другому компетентному органу",
        "бұл әрекет басқа рөлге немесе басқа құзыретті органға тиесілі",
    ),
    # -- coordinated operations (Art. 5 para 3): ozara/core/operations.py --
    Rule(
        "art5.operation_required",
        "Art. 5 para 3",
        "a coordinated operation must state this field",
        "согласованная операция должна содержать это поле",
        "үйлестірілген операция осы өрісті қамтуға тиіс",
    ),
    Rule(
        "art5.operation_period",
        "Art. 5 para 3",
        "an operation's period ends on or after its first day, and its tasks fall due within it",
        "период операции оканчивается не ранее его начала, а сроки задач лежат в его пределах",
        "операция кезеңі басталған күннен ерте аяқталмайды, ал тапсырмалардың мерзімдері "
        "осы кезең шегінде болады",
    ),
    Rule(
        "art5.operation_parties",
        "Art. 5 para 3",
        "a coordinated operation joins the lead body with competent bodies of other Parties",
        "согласованная операция объединяет ведущий орган с компетентными органами других Сторон",
        "үйлестірілген операция жетекші органды басқа Тараптардың құзыретті органдарымен "
        "біріктіреді",
    ),
    Rule(
        "art5.operation_lead",
        "Art. 5 para 3",
        "only the lead body proposes an operation, assigns its tasks, closes or cancels it",
        "только ведущий орган предлагает операцию, распределяет задачи, завершает или отменяет её",
        "операцияны тек жетекші орган ұсынады, тапсырмаларын бөледі, аяқтайды немесе тоқтатады",
    ),
    Rule(
        "art5.operation_invited",
        "Art. 5 para 3",
        "only a body invited to the operation answers the invitation, once",
        "на приглашение к операции отвечает только приглашённый орган, и только один раз",
        "операцияға шақыруға тек шақырылған орган ғана бір рет жауап береді",
    ),
    Rule(
        "art5.operation_participant",
        "Art. 5 para 3",
        "tasks, status reports and links are for the lead body and the bodies that accepted "
        "the invitation",
        "задачи, отчёты о ходе и ссылки — только для ведущего органа и органов, принявших "
        "приглашение",
        "тапсырмалар, барыс туралы есептер және сілтемелер тек жетекші органға және шақыруды "
        "қабылдаған органдарға арналған",
    ),
    Rule(
        "art5.operation_state",
        "Art. 5 para 3",
        "this action is not allowed in the operation's current state (a closed or cancelled "
        "operation does not change)",
        "это действие недопустимо в текущем состоянии операции (завершённая или отменённая "
        "операция не изменяется)",
        "операцияның ағымдағы күйінде бұл әрекетке жол берілмейді (аяқталған немесе "
        "тоқтатылған операция өзгермейді)",
    ),
    Rule(
        "art5.operation_summary",
        "Art. 5 para 3",
        "an operation is closed with a joint summary of its results",
        "операция завершается совместным итоговым документом о её результатах",
        "операция оның нәтижелері туралы бірлескен қорытынды құжатпен аяқталады",
    ),
    Rule(
        "art5.operation_signatory",
        "Art. 5 para 3",
        "the joint summary is signed by the head of the lead body or a deputy",
        "итоговый документ подписывается руководителем ведущего органа или его заместителем",
        "қорытынды құжатқа жетекші органның басшысы немесе оның орынбасары қол қояды",
    ),
    Rule(
        "art5.operation_link",
        "Art. 5 para 3",
        "a request or record linked to an operation is one the linking body takes part in",
        "к операции привязывается только запрос или запись, в которых участвует этот орган",
        "операцияға тек осы орган қатысатын сұрау салу немесе жазба байланыстырылады",
    ),
    # -- training events (Art. 5 para 4): ozara/core/training.py --
    Rule(
        "art5.training_kind",
        "Art. 5 para 4",
        "a training event is an internship, a conference, a seminar, a course or a training",
        "учебное мероприятие — это стажировка, конференция, семинар, курсы или тренинг",
        "оқу іс-шарасы — тағылымдама, конференция, семинар, курстар немесе тренинг",
    ),
    Rule(
        "art5.training_required",
        "Art. 5 para 4",
        "a training event or a nomination must state this field",
        "учебное мероприятие или кандидатура должны содержать это поле",
        "оқу іс-шарасы немесе кандидатура осы өрісті қамтуға тиіс",
    ),
    Rule(
        "art5.training_dates",
        "Art. 5 para 4",
        "an event ends on or after its first day, nominations close before it begins, and it "
        "is held only once it has begun",
        "мероприятие оканчивается не ранее своего начала, выдвижение кандидатур завершается до "
        "его начала, а проведённым оно отмечается только после начала",
        "іс-шара басталған күннен ерте аяқталмайды, кандидатураларды ұсыну ол басталғанға "
        "дейін аяқталады, ал ол басталғаннан кейін ғана өткізілді деп белгіленеді",
    ),
    Rule(
        "art5.training_parties",
        "Art. 5 para 4",
        "a training event offers places to competent bodies of at least one other Party",
        "учебное мероприятие предоставляет места компетентным органам хотя бы одной другой Стороны",
        "оқу іс-шарасы кемінде бір басқа Тараптың құзыретті органдарына орын береді",
    ),
    Rule(
        "art5.training_host",
        "Art. 5 para 4",
        "only the host body announces an event, decides on nominations, closes, holds or "
        "cancels it",
        "только принимающий орган объявляет мероприятие, решает по кандидатурам, закрывает "
        "выдвижение, проводит или отменяет мероприятие",
        "тек қабылдаушы орган іс-шараны жариялайды, кандидатуралар бойынша шешім қабылдайды, "
        "ұсынуды жабады, іс-шараны өткізеді немесе тоқтатады",
    ),
    Rule(
        "art5.training_invited",
        "Art. 5 para 4",
        "only competent bodies of a Party invited to the event nominate participants",
        "кандидатуры выдвигают только компетентные органы Сторон, приглашённых на мероприятие",
        "кандидатураларды тек іс-шараға шақырылған Тараптардың құзыретті органдары ұсынады",
    ),
    Rule(
        "art5.training_own_party",
        "Art. 5 para 4",
        "bodies of the host's own Party nominate only into places the host gave its own Party",
        "органы Стороны принимающего органа выдвигают кандидатуры только на места, выделенные "
        "им самим принимающим органом",
        "қабылдаушы органның өз Тарабының органдары тек қабылдаушы орган өз Тарабына бөлген "
        "орындарға ғана кандидатура ұсынады",
    ),
    Rule(
        "art5.training_quota",
        "Art. 5 para 4",
        "a Party's pending and confirmed nominations do not exceed the places offered to it",
        "рассматриваемые и подтверждённые кандидатуры Стороны не превышают выделенных ей мест",
        "Тараптың қаралып жатқан және расталған кандидатуралары оған бөлінген орындардан аспайды",
    ),
    Rule(
        "art5.training_deadline",
        "Art. 5 para 4",
        "nominations are made on or before the nomination deadline",
        "кандидатуры выдвигаются не позднее установленного срока",
        "кандидатуралар белгіленген мерзімнен кешіктірілмей ұсынылады",
    ),
    Rule(
        "art5.training_state",
        "Art. 5 para 4",
        "this action is not allowed in the event's current state (a held or cancelled event "
        "does not change; nominations end when the event is closed for them)",
        "это действие недопустимо в текущем состоянии мероприятия (проведённое или отменённое "
        "мероприятие не изменяется; после закрытия выдвижения кандидатуры не принимаются)",
        "іс-шараның ағымдағы күйінде бұл әрекетке жол берілмейді (өткізілген немесе тоқтатылған "
        "іс-шара өзгермейді; ұсыну жабылғаннан кейін кандидатуралар қабылданбайды)",
    ),
    Rule(
        "art5.training_nomination",
        "Art. 5 para 4",
        "a pending nomination is confirmed or declined by the host, or withdrawn by the body "
        "that made it",
        "рассматриваемая кандидатура подтверждается или отклоняется принимающим органом либо "
        "отзывается выдвинувшим её органом",
        "қаралып жатқан кандидатураны қабылдаушы орган растайды немесе қабылдамайды, не оны "
        "ұсынған орган кері қайтарып алады",
    ),
    # -- joint research and exchanged literature (Art. 5 para 6): core/research.py, literature.py
    Rule(
        "art5.research_required",
        "Art. 5 para 6",
        "a joint research project must state this field",
        "совместный исследовательский проект должен содержать это поле",
        "бірлескен зерттеу жобасы осы өрісті қамтуға тиіс",
    ),
    Rule(
        "art5.research_period",
        "Art. 5 para 6",
        "a research project's period ends on or after its first day",
        "период исследовательского проекта оканчивается не ранее его начала",
        "зерттеу жобасының кезеңі басталған күннен ерте аяқталмайды",
    ),
    Rule(
        "art5.research_parties",
        "Art. 5 para 6",
        "joint research joins the lead body with competent bodies of other Parties",
        "совместное исследование объединяет ведущий орган с компетентными органами других Сторон",
        "бірлескен зерттеу жетекші органды басқа Тараптардың құзыретті органдарымен біріктіреді",
    ),
    Rule(
        "art5.research_lead",
        "Art. 5 para 6",
        "only the lead body proposes a research project, completes or cancels it",
        "только ведущий орган предлагает исследовательский проект, завершает или отменяет его",
        "зерттеу жобасын тек жетекші орган ұсынады, аяқтайды немесе тоқтатады",
    ),
    Rule(
        "art5.research_invited",
        "Art. 5 para 6",
        "only a body invited to the research project answers the invitation, once",
        "на приглашение к исследовательскому проекту отвечает только приглашённый орган, и "
        "только один раз",
        "зерттеу жобасына шақыруға тек шақырылған орган ғана бір рет жауап береді",
    ),
    Rule(
        "art5.research_participant",
        "Art. 5 para 6",
        "researchers and results are for the lead body and the bodies that joined the project",
        "исследователи и результаты — только для ведущего органа и органов, вступивших в проект",
        "зерттеушілер мен нәтижелер тек жетекші органға және жобаға қосылған органдарға арналған",
    ),
    Rule(
        "art5.research_state",
        "Art. 5 para 6",
        "this action is not allowed in the project's current state (a completed or cancelled "
        "project does not change)",
        "это действие недопустимо в текущем состоянии проекта (завершённый или отменённый "
        "проект не изменяется)",
        "жобаның ағымдағы күйінде бұл әрекетке жол берілмейді (аяқталған немесе тоқтатылған "
        "жоба өзгермейді)",
    ),
    Rule(
        "art5.research_role",
        "Art. 5 para 6",
        "the head of the body or a deputy joins or declines a project, and signs its final "
        "results or its cancellation",
        "руководитель органа или его заместитель вступает в проект или отказывается от "
        "участия, подписывает итоговые результаты или отмену проекта",
        "органның басшысы немесе оның орынбасары жобаға қосылады немесе қатысудан бас "
        "тартады, қорытынды нәтижелерге немесе жобаның тоқтатылуына қол қояды",
    ),
    Rule(
        "art5.research_document",
        "Art. 5 para 6",
        "a result attaches only a document of the library that the posting body may read",
        "к результату прилагается только документ библиотеки, доступный публикующему органу",
        "нәтижеге тек жариялаушы органға қолжетімді кітапхана құжаты қосылады",
    ),
    Rule(
        "art5.literature_required",
        "Art. 5 para 6",
        "a document of the library must state this field",
        "документ библиотеки должен содержать это поле",
        "кітапхана құжаты осы өрісті қамтуға тиіс",
    ),
    Rule(
        "art5.literature_owner",
        "Art. 5 para 6",
        "only the body that added a document to the library shares or withdraws it",
        "делиться документом библиотеки или отзывать его может только добавивший его орган",
        "кітапхана құжатын тек оны қосқан орган ғана бөліседі немесе кері қайтарады",
    ),
    Rule(
        "art5.literature_not_shared",
        "Art. 5 para 6",
        "the document was not shared with this Party",
        "документ не передавался этой Стороне",
        "құжат бұл Тарапқа берілмеген",
    ),
    Rule(
        "art5.literature_withdrawn",
        "Art. 5 para 6",
        "the document was withdrawn by the body that shared it",
        "документ отозван предоставившим его органом",
        "құжатты оны берген орган кері қайтарып алды",
    ),
    Rule(
        "input.unknown_field",
        "—",
        "this field is not part of the document",
        "такого поля нет в документе",
        "құжатта мұндай өріс жоқ",
    ),
    Rule(
        "input.type",
        "—",
        "the field has the wrong type or format",
        "поле имеет неверный тип или формат",
        "өрістің түрі немесе пішімі қате",
    ),
)


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: which field, which rule, which article, and why."""

    field: str
    rule: str
    message: str

    @property
    def article(self) -> str:
        return RULES[self.rule].article

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "rule": self.rule,
            "article": self.article,
            "message": self.message,
            "ruleset": RULESET_VERSION,
        }

    def __str__(self) -> str:
        return f"{self.field}: {self.message} ({self.article})"


def violation(field: str, rule: str, detail: str | None = None) -> Violation:
    text = RULES[rule].text_en
    return Violation(field, rule, f"{text}: {detail}" if detail else text)


class ProtocolError(Exception):
    """Raised when an action or a document breaks one or more rules of the Protocol."""

    def __init__(self, violations: list[Violation]) -> None:
        if not violations:
            raise ValueError("ProtocolError needs at least one violation")
        self.violations = tuple(violations)
        super().__init__("; ".join(str(v) for v in violations))

    def as_dicts(self) -> list[dict[str, Any]]:
        return [v.as_dict() for v in self.violations]


@dataclass(frozen=True, slots=True)
class Decision:
    """A yes or no from the core, with the rules it rests on (Art. 15: rule-set version)."""

    allowed: bool
    rules: tuple[str, ...]
    violations: tuple[Violation, ...] = ()
    ruleset: str = RULESET_VERSION

    @property
    def articles(self) -> tuple[str, ...]:
        return tuple(RULES[r].article for r in self.rules)

    def raise_if_denied(self) -> None:
        if not self.allowed:
            raise ProtocolError(list(self.violations))
