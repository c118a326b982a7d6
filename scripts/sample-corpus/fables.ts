/** Fables: two animals, a boast or a request, what happened, and a moral. */
import { capitalize, Random, slug, wrap } from './random'

const animals = [
  {
    name: 'hare',
    home: 'in a long meadow',
    habit: 'ran circles around everyone for the fun of it',
    trait: 'quick',
  },
  {
    name: 'tortoise',
    home: 'under a flat stone by the stream',
    habit: 'walked the same slow path to the water and back every day',
    trait: 'slow',
  },
  {
    name: 'ant',
    home: 'in a hill at the foot of an oak',
    habit: 'carried crumbs ten times its size',
    trait: 'busy',
  },
  {
    name: 'grasshopper',
    home: 'in the tall grass',
    habit: 'sang from morning to night',
    trait: 'merry',
  },
  {
    name: 'crow',
    home: 'at the top of a dead pine',
    habit: 'collected anything that shone',
    trait: 'clever',
  },
  {
    name: 'fox',
    home: 'in a den under the hedge',
    habit: 'watched the farmyard with half-closed eyes',
    trait: 'sly',
  },
  {
    name: 'owl',
    home: 'in a hollow beech',
    habit: 'said very little and saw a great deal',
    trait: 'wise',
  },
  {
    name: 'mouse',
    home: 'in the wall of a barn',
    habit: 'kept a store of seeds for hard times',
    trait: 'small',
  },
  {
    name: 'lion',
    home: 'on a warm rock above the plain',
    habit: 'roared at sunrise so that everyone knew who was king',
    trait: 'proud',
  },
  {
    name: 'goat',
    home: 'on a ledge of the mountain',
    habit: 'climbed where no one else would go',
    trait: 'sure-footed',
  },
  {
    name: 'heron',
    home: 'by the reeds of the lake',
    habit: 'stood on one leg for hours, waiting',
    trait: 'patient',
  },
  {
    name: 'frog',
    home: 'on a lily pad',
    habit: 'puffed itself up to look bigger than it was',
    trait: 'boastful',
  },
  {
    name: 'bear',
    home: 'in a cave behind the waterfall',
    habit: 'slept all winter and ate all summer',
    trait: 'strong',
  },
  {
    name: 'sparrow',
    home: 'in the eaves of the mill',
    habit: 'chattered about everybody’s business',
    trait: 'chatty',
  },
  {
    name: 'badger',
    home: 'in a sett under the bank',
    habit: 'dug new tunnels every night',
    trait: 'stubborn',
  },
  {
    name: 'swallow',
    home: 'in a mud nest under the bridge',
    habit: 'flew south every autumn and back every spring',
    trait: 'restless',
  },
]

const situations = [
  {
    opening: (a: string, b: string) =>
      `One day the ${a} laughed at the ${b}. "You will never get anywhere," it said.`,
    middle: (a: string, b: string) =>
      `The ${b} only answered, "Shall we see?" So they agreed to race to the old gate. The ${a} ran off at once, and soon it was so far ahead that it lay down in the shade to rest. The ${b} kept going, step after step, and did not stop.`,
    end: (a: string, b: string) =>
      `When the ${a} woke, the sun was low, and the ${b} was already waiting at the gate.`,
  },
  {
    opening: (a: string, b: string) => `All summer the ${a} worked while the ${b} played and sang.`,
    middle: (a: string, b: string) =>
      `"Why work so hard on such a fine day?" asked the ${b}. "Winter is coming," said the ${a}, and went on working. The ${b} laughed and sang another song.`,
    end: (a: string, b: string) =>
      `When the snow came, the ${a} had a full store and a warm home, and the ${b} came knocking, cold and hungry. The ${a} let it in, but the ${b} never forgot that winter.`,
  },
  {
    opening: (a: string, b: string) =>
      `The ${a} found a piece of cheese and flew up into a tree with it. The ${b} saw and wanted it.`,
    middle: (a: string, b: string) =>
      `"What a fine voice you must have," said the ${b}, "if only I could hear it." The ${a}, pleased, opened its mouth to sing, and the cheese fell to the ground.`,
    end: (a: string, b: string) =>
      `The ${b} took the cheese and trotted off, and the ${a} learned that praise can have a price.`,
  },
  {
    opening: (a: string, b: string) =>
      `The ${a} was caught in a hunter's net and could not get out. The ${b} heard it calling.`,
    middle: (_a: string, b: string) =>
      `"I may not look like much help," said the ${b}, "but let me try." It worked at the knots all night, one cord at a time.`,
    end: (a: string) =>
      `By morning the ${a} was free. From that day on, it never judged anyone by the look of them.`,
  },
  {
    opening: (a: string, b: string) =>
      `The ${a} and the ${b} found a bag of grain by the road and began to argue over it.`,
    middle: (a: string, b: string) =>
      `"I saw it first," said the ${a}. "But I touched it first," said the ${b}. They argued until the sun went down, and neither would give way.`,
    end: () =>
      `While they argued, a passing cart took the grain away, and neither of them had any.`,
  },
  {
    opening: (a: string, b: string) =>
      `The ${a} wanted to cross the river, but the water was fast and deep. The ${b} offered to help.`,
    middle: (a: string, b: string) =>
      `"Climb on my back," said the ${b}, "and hold on." Halfway across, the ${a} grew frightened and began to struggle. "Be still," said the ${b}, "or we will both go under."`,
    end: (a: string) => `The ${a} kept still, and they reached the far bank together.`,
  },
  {
    opening: (a: string, b: string) =>
      `Every day the ${a} boasted to the ${b} that it was the best at everything.`,
    middle: (a: string, b: string) =>
      `"Then show me," said the ${b}. The ${a} tried to climb the cliff, to swim the lake and to dig a tunnel, and each time it failed halfway.`,
    end: (a: string, b: string) =>
      `"Each of us is good at something," said the ${b}, kindly, "and nobody is good at everything." The ${a} was quiet for a long time after that.`,
  },
  {
    opening: (a: string, b: string) =>
      `In a dry year the ${a} found a jar with a little water at the bottom, too deep to reach. The ${b} watched.`,
    middle: (a: string) =>
      `The ${a} thought for a while. Then it dropped in one pebble, and another, and another, until the water rose to the top.`,
    end: (a: string, b: string) => `The ${a} drank its fill and let the ${b} drink too.`,
  },
]

const morals = [
  'Slow and steady wins the race.',
  'Work today for the needs of tomorrow.',
  'Beware of those who flatter you.',
  'No act of kindness, however small, is ever wasted.',
  'When two quarrel, a third one profits.',
  'Trust your helper and keep your head.',
  'Pride goes before a fall.',
  'Little by little does the trick.',
  'A friend in need is a friend indeed.',
  'Look before you leap.',
  'Those who boast the most often do the least.',
  'Necessity is the mother of invention.',
]

const moralFor = [0, 1, 2, 3, 4, 5, 6, 7]

function fable(random: Random): { title: string; text: string } {
  const index = random.int(0, situations.length - 1)
  const situation = situations[index]
  const [first, second] = random.sample(animals, 2)
  const a = first.name
  const b = second.name
  const title = `The ${capitalize(a)} and the ${capitalize(b)}`
  const moral = random.chance(0.6) ? morals[moralFor[index]] : random.pick(morals)
  const body = [
    `There was once a ${first.trait} ${a} who lived ${first.home} and ${first.habit}. ` +
      `Not far away, ${second.home}, lived a ${second.trait} ${b}, who ${second.habit}.`,
    situation.opening(a, b),
    situation.middle(a, b),
    situation.end(a, b),
  ].join('\n\n')
  return { title, text: `${title}\n\n${wrap(body)}\n\nMoral: ${moral}\n` }
}

export function generatedFables(random: Random, count: number): Map<string, string> {
  const files = new Map<string, string>()
  while (files.size < count) {
    const { title, text } = fable(random)
    const path = `fables/${String(files.size + 1).padStart(3, '0')}-${slug(title)}.txt`
    files.set(path, text)
  }
  return files
}
