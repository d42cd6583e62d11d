"""Data the kit makes itself, for when the book's data sets cannot be downloaded.

Everything here is generated from word lists, a grammar and shapes written for the kit (no third-party
text or images), deterministically from a seed, so that answer keys built offline are reproducible:

- `fashion_images(n, seed)`: 28x28 grayscale images of 10 classes, crude silhouettes of Fashion-MNIST's
  clothes (shifted, scaled, turned, shaded and noisy per image), as uint8 like the real set;
- `english_text(num_chars, seed)`: a story-like English text with Zipf-like word frequencies, in lines and
  paragraphs like a plain-text book (a stand-in for The Time Machine);
- `english_french(num_pairs, seed)`: "English<TAB>French" sentence pairs, shortest first, with the French
  spacing before "!" and "?" that the book's fra.txt has.
"""
from __future__ import annotations

import random
import textwrap

import torch
import torch.nn.functional as F

# -- images -------------------------------------------------------------------------------------------------

SIZE = 28
CHUNK = 1000  # images are made in chunks seeded by (seed, chunk): the first n of a set never depend on its size


def _silhouettes(upsample: int = 4) -> torch.Tensor:
    """The 10 class templates, (10, 1, 28, 28) floats in [0, 1]: drawn at 4x and averaged down (smooth edges)."""
    n = SIZE * upsample
    y, x = torch.meshgrid(torch.linspace(-1, 1, n), torch.linspace(-1, 1, n), indexing="ij")  # y grows downwards

    def box(x0, x1, y0, y1):
        return (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)

    def sleeves(top, length, drop):
        """Both arms: bands leaving the shoulders at |x| = 0.42 and going out and down (slope `drop`), about
        0.2 wide across and `length` wide from the body."""
        out = x.abs() - 0.42
        below = y - top - drop * out  # how far below the arm's upper edge
        return (out >= 0) & (out <= length) & (below >= 0) & (below <= (0.2 + 0.2 * out) * (1 + drop ** 2) ** 0.5)

    neck = (x ** 2 + (y + 0.62) ** 2) < 0.18 ** 2
    tshirt = (box(-0.45, 0.45, -0.55, 0.8) | sleeves(-0.55, 0.3, 0.8)) & ~neck
    trouser = box(-0.42, 0.42, -0.85, -0.55) | box(-0.42, -0.07, -0.55, 0.9) | box(0.07, 0.42, -0.55, 0.9)
    pullover = box(-0.45, 0.45, -0.6, 0.72) | sleeves(-0.6, 0.3, 4.0)
    pullover &= ~((x ** 2 + (y + 0.62) ** 2) < 0.12 ** 2)
    dress = ((x.abs() <= 0.2 + 0.3 * (y + 0.8) / 1.7) & (y >= -0.8) & (y <= 0.9)) | box(-0.2, 0.2, -0.9, -0.8)
    coat = (box(-0.47, 0.47, -0.7, 0.92) | sleeves(-0.7, 0.32, 4.5)) & ~box(-0.03, 0.03, -0.5, 0.92)
    sandal = (box(-0.9, 0.9, 0.5, 0.62) | box(-0.7, -0.4, 0.05, 0.5) | box(-0.1, 0.15, 0.0, 0.5)
              | box(0.45, 0.8, 0.15, 0.5) | box(-0.7, 0.8, 0.12, 0.2))
    collar = (y < -0.35) & (x.abs() < (y + 0.75) * 0.5) & (y > -0.75)
    shirt = (box(-0.44, 0.44, -0.7, 0.85) | sleeves(-0.7, 0.3, 3.0)) & ~collar
    shirt &= ~(((x.abs() < 0.03) & (torch.remainder(y * 6, 1) < 0.35)) & (y > -0.3))  # a row of buttons
    # a low shoe: rounded toe on the left, rising to the ankle collar on the right, on a sole
    toe_to_ankle = ((x + 0.9) / 1.2).clamp(0, 1)
    sneaker = (y >= -0.05 + 0.55 * (1 - toe_to_ankle) ** 2) & box(-0.9, 0.9, -0.05, 0.6)
    sneaker = (sneaker & ~box(0.3, 0.65, -0.05, 0.1)) | box(-0.92, 0.92, 0.6, 0.74)
    handle = ((x ** 2 + (y + 0.2) ** 2) < 0.5 ** 2) & ((x ** 2 + (y + 0.2) ** 2) > 0.38 ** 2) & (y < -0.2)
    bag = box(-0.72, 0.72, -0.2, 0.78) | handle
    boot = box(0.05, 0.7, -0.85, 0.45) | (box(-0.85, 0.7, 0.2, 0.75) & ((x + 0.85) ** 2 / 0.4 + (y - 0.5) ** 2
                                                                      / 0.12 < 1.6)) | box(-0.85, 0.72, 0.72, 0.85)
    shapes = [tshirt, trouser, pullover, dress, coat, sandal, shirt, sneaker, bag, boot]
    hi = torch.stack(shapes).float().unsqueeze(1)
    return F.avg_pool2d(hi, upsample)


def fashion_images(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """`n` images (uint8, (n, 28, 28)) and labels (int64, 0..9, balanced), the same for the same seed."""
    templates = _silhouettes()
    images, labels = [], []
    for chunk in range((n + CHUNK - 1) // CHUNK):
        g = torch.Generator().manual_seed(seed * 100_003 + chunk)
        y = torch.arange(CHUNK)[torch.randperm(CHUNK, generator=g)] % 10

        def uniform(lo, hi, shape=(CHUNK,)):
            return lo + (hi - lo) * torch.rand(shape, generator=g)

        # a random turn, stretch, shear and shift of each silhouette (inverse map: output -> template coordinates)
        angle, sx, sy, shear = uniform(-0.2, 0.2), uniform(0.8, 1.25), uniform(0.8, 1.25), uniform(-0.2, 0.2)
        cos, sin = torch.cos(angle), torch.sin(angle)
        theta = torch.stack([torch.stack([cos * sx, -sin * sx + shear, uniform(-0.2, 0.2)], 1),
                             torch.stack([sin * sy, cos * sy, uniform(-0.2, 0.2)], 1)], 1)
        grid = F.affine_grid(theta, (CHUNK, 1, SIZE, SIZE), align_corners=False)
        X = F.grid_sample(templates[y], grid, align_corners=False).squeeze(1)
        # shade: a brightness per image, a soft stripe pattern (fabric), and sensor noise
        rows = torch.linspace(0, 1, SIZE).reshape(1, SIZE, 1)
        stripes = 1 - uniform(0, 0.3).reshape(-1, 1, 1) * torch.sin(
            rows * uniform(4, 20).reshape(-1, 1, 1) + uniform(0, 6.3).reshape(-1, 1, 1)) ** 2
        X = X * uniform(0.35, 1.0).reshape(-1, 1, 1) * stripes + 0.12 * torch.randn(X.shape, generator=g)
        images.append((X.clamp(0, 1) * 255).round().to(torch.uint8))
        labels.append(y)
    return torch.cat(images)[:n], torch.cat(labels)[:n]


# -- English text -------------------------------------------------------------------------------------------
# Word lists written for the kit. Within each list, earlier words are drawn more often (weight 1/rank): with
# the frequent function words, that gives the text a Zipf-like distribution of word frequencies (a few words
# make most of the text, and a long tail of words is seen once or twice), as in a real book.

NOUNS = """time machine night world hand light way door day eye face room fire thing river hill city garden star
sun moon road tree voice window house lamp wheel clock table stone path wind water sky year hour morning evening
shadow field dream glass bridge tower wall forest valley sea boat letter book key bell engine lever crystal dial
gate stair roof candle flower bird cloud rain snow sound silence story question answer friend stranger doctor
keeper child crowd workshop corridor lantern mountain island harbour market street village station chamber hall
cellar attic library kitchen chimney fountain well meadow orchard marsh desert cliff shore wave storm thunder
mist fog frost dust ash smoke spark flame ember iron copper silver gold coin ring chain rope thread needle cloth
coat hat boot glove pocket bag box chest drawer shelf chair bench bed pillow blanket curtain mirror picture map
compass telescope lens spring gear bolt screw hammer saw axe knife spoon cup bowl plate bottle jar basket barrel
cart wagon horse dog cat mouse owl crow sparrow fish beetle moth spider wolf fox deer sheep goat cow bear lion
apple bread cheese milk honey salt sugar tea soup cake berry seed leaf root branch bark moss grass reed vine
rose lily daisy fern oak pine willow birch maple cedar heart mind thought memory hope fear joy sorrow anger
wonder doubt courage patience wisdom secret promise reason purpose chance luck fortune danger warning signal
message name word song music dance game journey voyage adventure visit return departure arrival beginning end
edge corner middle centre side top bottom surface depth height width length distance direction north south
east west summer winter autumn season century moment minute second week month future past present age
people mother father brother sister uncle aunt cousin neighbour servant master captain sailor soldier farmer
miller baker painter writer teacher student scholar engineer inventor traveller guide guard watchman""".split()
ADJECTIVES = """old little great dark long strange small white cold quiet bright grey green last first deep
empty tall warm pale heavy gentle curious broken silent ancient narrow distant golden red brass faint sudden soft
wide thin hollow restless young new black blue yellow brown silver wooden stony sandy dusty dry wet damp frozen
burning hot cool sweet bitter sour fresh stale clean dirty rough smooth sharp dull round square flat steep high
low near far early late quick slow loud calm wild tame kind cruel brave timid proud humble rich poor happy sad
lonely weary eager glad sorry wise foolish clever simple plain fine rare common real true false whole hidden
open secret familiar lost tired hungry thirsty sleepy busy idle careful careless honest shy noble""".split()
VERBS_T = """saw found took made heard knew left held turned watched opened followed touched remembered carried
built lifted crossed closed counted studied mended lit pushed pulled called asked told showed gave brought kept
met lost missed wanted needed loved feared hated thanked greeted answered visited painted wrote read drew cut
broke struck caught threw dropped filled emptied cleaned washed covered hid searched measured weighed tested
wound fixed tied untied raised lowered guarded warned taught helped""".split()
VERBS_I = """came went stood fell waited looked laughed spoke walked stopped listened slept returned vanished
trembled smiled ran wandered shone rested sat lay rose arrived departed hurried paused sighed whispered shouted
sang danced wept nodded shivered breathed dreamed hesitated travelled climbed swam flew floated sank
drifted glowed faded""".split()
ADVERBS = ["again", "slowly", "then", "quickly", "suddenly", "softly", "at once", "there", "still", "carefully",
           "almost", "at last", "away", "together", "alone", "early", "late", "gladly", "quietly", "for a while",
           "once more", "in silence", "without a word"]
PREP_NOUN = "of of of in with on near behind".split()            # a noun's own phrase: "the door of the house"
PREP_VERB = "in to with at on from into upon through under across beyond near toward behind".split()
CONJUNCTIONS = "and and but for so while as".split()
SUBJECTS = "i he she we they it".split()
OBJECTS = {"i": "me", "he": "him", "she": "her", "we": "us", "they": "them", "it": "it"}
NAMES = "Ada Tomas Elin Marek Ilse Corin Petra Oskar".split()
DETERMINERS = "the the the the a a this that his her my our every no".split()
PLURAL_DETERMINERS = "the the some many these those his her our no".split()


def _plural(noun: str) -> str:
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    if noun.endswith("f"):
        return noun[:-1] + "ves"
    return noun + "s"


class _Grammar:
    """Sentences from a small grammar: clauses (subject, verb, object, phrases) joined and quoted."""

    def __init__(self, seed):
        self.rng = random.Random(seed)

    def pick(self, words):
        return self.rng.choices(words, weights=[1 / (r + 1) for r in range(len(words))])[0]

    def maybe(self, p):
        return self.rng.random() < p

    def noun_phrase(self, depth=0, plural=None):
        plural = self.maybe(0.25) if plural is None else plural
        words = [self.pick(PLURAL_DETERMINERS if plural else DETERMINERS)]
        if self.maybe(0.4):
            words.append(self.pick(ADJECTIVES))
        noun = self.pick(NOUNS)
        words.append(_plural(noun) if plural else noun)
        if words[0] == "a" and words[1][0] in "aeiou":
            words[0] = "an"
        if depth == 0 and self.maybe(0.2):
            words += [self.pick(PREP_NOUN), self.noun_phrase(depth + 1)]
        return " ".join(words)

    def subject(self):
        r = self.rng.random()
        return self.pick(SUBJECTS) if r < 0.45 else self.pick(NAMES) if r < 0.6 else self.noun_phrase()

    def clause(self):
        words = [self.subject()]
        if self.maybe(0.55):
            obj = OBJECTS[self.pick(SUBJECTS)] if self.maybe(0.25) else self.noun_phrase()
            words += [self.pick(VERBS_T), obj]
        else:
            words.append(self.pick(VERBS_I))
            if self.maybe(0.3):
                words.append(self.pick(ADVERBS))
        if self.maybe(0.4):
            words += [self.pick(PREP_VERB), self.noun_phrase(1)]
        return " ".join(words)

    def sentence(self):
        r = self.rng.random()
        if r < 0.45:
            s = self.clause() + "."
        elif r < 0.65:
            s = f"{self.clause()}, {self.pick(CONJUNCTIONS)} {self.clause()}."
        elif r < 0.75:
            s = f"{self.pick(PREP_VERB)} {self.noun_phrase(1)}, {self.clause()}."
        elif r < 0.85:
            s = f"there was {self.noun_phrase(plural=False)}."
        else:
            said = self.clause() + ("?" if self.maybe(0.3) else ",")
            return f"\"{said[0].upper()}{said[1:]}\" said {self.pick(NAMES)}.".replace(" i ", " I ")
        s = s.replace(" i ", " I ")
        return s[0].upper() + s[1:]

    def paragraph(self):
        return " ".join(self.sentence() for _ in range(self.rng.randint(3, 8)))


def _roman(n: int) -> str:
    out = ""
    for value, numeral in ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out, n = out + numeral, n - value
    return out


def english_text(num_chars: int = 100_000, seed: int = 0) -> str:
    """A made-up story of at least `num_chars` characters: a title, chapters, wrapped paragraph lines."""
    grammar = _Grammar(seed)
    parts, chapter = ["The Brass Engine\n\nA story made by the kit\n\n"], 0
    size = len(parts[0])
    while size < num_chars:
        block = ""
        if chapter == 0 or grammar.maybe(0.04):
            chapter += 1
            block = f"\n{_roman(chapter)}\n\n"
        block += textwrap.fill(grammar.paragraph(), width=70) + "\n\n"
        parts.append(block)
        size += len(block)
    return "".join(parts)


# -- English-French pairs -----------------------------------------------------------------------------------
NNBSP = "\u202f"  # French puts a (narrow no-break) space before ! and ?, as the book's fra.txt does

PHRASES = [("Go.", "Va !"), ("Hi.", "Salut."), ("Run!", "Cours !"), ("Stop!", "Arrête !"), ("Wait!", "Attends !"),
           ("Help!", "À l'aide !"), ("Thanks.", "Merci."), ("I see.", "Je vois."), ("Come in.", "Entre."),
           ("Sit down.", "Assieds-toi."), ("Hurry up.", "Dépêche-toi."), ("Good night.", "Bonne nuit."),
           ("Listen.", "Écoute."), ("Look out!", "Attention !"), ("I won!", "J'ai gagné !"),
           ("Be calm.", "Sois calme.")]
# subjects: English, French, and their row (0..5) in the conjugation tables below
PERSONS = [("I", "je", 0), ("You", "tu", 1), ("He", "il", 2), ("She", "elle", 3), ("We", "nous", 4),
           ("They", "ils", 5)]
BE_EN = ["am", "are", "is", "is", "are", "are"]
BE_FR = ["suis", "es", "est", "est", "sommes", "sont"]
# English; French masculine, feminine, plural
ADJ_PAIRS = [("tired", "fatigué", "fatiguée", "fatigués"), ("happy", "heureux", "heureuse", "heureux"),
             ("ready", "prêt", "prête", "prêts"), ("late", "en retard", "en retard", "en retard"),
             ("sick", "malade", "malade", "malades"), ("busy", "occupé", "occupée", "occupés"),
             ("sad", "triste", "triste", "tristes"), ("strong", "fort", "forte", "forts"),
             ("free", "libre", "libre", "libres"), ("calm", "calme", "calme", "calmes"),
             ("small", "petit", "petite", "petits"), ("lost", "perdu", "perdue", "perdus")]
# English verb (base, third person), French present tense (je, tu, il, elle, nous, ils), objects it takes
VERBS = [("see", "sees", "vois vois voit voit voyons voient", "cat dog car house tree bird door map"),
         ("like", "likes", "aime aimes aime aime aimons aiment", "cat dog car house bread apple book tree bird"),
         ("want", "wants", "veux veux veut veut voulons veulent", "car house bread apple book key map bike"),
         ("have", "has", "ai as a a avons ont", "cat dog car house key book map bike"),
         ("eat", "eats", "mange manges mange mange mangeons mangent", "bread apple"),
         ("read", "reads", "lis lis lit lit lisons lisent", "book letter map"),
         ("find", "finds", "trouve trouves trouve trouve trouvons trouvent", "cat dog key book letter map"),
         ("take", "takes", "prends prends prend prend prenons prennent", "car key book letter apple bike")]
OBJECT_FR = {"cat": "le chat", "dog": "le chien", "car": "la voiture", "house": "la maison", "tree": "l'arbre",
             "bird": "l'oiseau", "door": "la porte", "map": "la carte", "bread": "le pain", "apple": "la pomme",
             "book": "le livre", "key": "la clé", "bike": "le vélo", "letter": "la lettre"}


def _elide(subject: str, verb: str) -> str:
    """je + aime -> j'aime (French drops the e of je and ne before a vowel)."""
    return f"{subject[:-1]}'{verb}" if subject in ("je", "ne") and verb[0] in "aeiouéh" else f"{subject} {verb}"


def _french(text: str) -> str:
    text = text[0].upper() + text[1:]
    return text.replace(" !", NNBSP + "!").replace(" ?", NNBSP + "?")


def _all_pairs() -> list[tuple[str, str]]:
    pairs = list(PHRASES)
    for en_subj, fr_subj, p in PERSONS:
        for en, masc, fem, plural in ADJ_PAIRS:
            adj = plural if p in (4, 5) else fem if p == 3 else masc
            pairs.append((f"{en_subj} {BE_EN[p]} {en}.", f"{_elide(fr_subj, BE_FR[p])} {adj}."))
        for base, third, conj, objects in VERBS:
            fr_verb = conj.split()[p]
            en_verb = third if p in (2, 3) else base
            en_not = "doesn't" if p in (2, 3) else "don't"
            for obj in objects.split():
                fr_obj = OBJECT_FR[obj]
                pairs.append((f"{en_subj} {en_verb} the {obj}.", f"{_elide(fr_subj, fr_verb)} {fr_obj}."))
                pairs.append((f"{en_subj} {en_not} {base} the {obj}.",
                              f"{fr_subj} {_elide('ne', fr_verb)} pas {fr_obj}."))
    for obj, fr_obj in OBJECT_FR.items():
        pairs.append((f"Where is the {obj}?", f"Où est {fr_obj} ?"))
    return [(en, _french(fr)) for en, fr in pairs]


def english_french(num_pairs: int = 600, seed: int = 0) -> str:
    """`num_pairs` lines "English<TAB>French", shortest English first (as the book's file), newline-terminated."""
    pairs = _all_pairs()
    n = min(num_pairs, len(pairs))
    rest = random.Random(seed).sample(range(len(PHRASES), len(pairs)), max(0, n - len(PHRASES)))
    kept = sorted([*range(min(n, len(PHRASES))), *rest], key=lambda i: (len(pairs[i][0]), i))
    return "".join(f"{pairs[i][0]}\t{pairs[i][1]}\n" for i in kept)
