/**
 * Short stories from a hand-written story grammar: a person in a place, a trouble, a journey with
 * three meetings, a return and a custom that remembers it. Same shape every time, different
 * words, which is what lets a small model learn something visible.
 */
import { capitalize, listOf, Random, slug, wrap } from './random'

interface Person {
  name: string
  they: string
  them: string
  their: string
}

const people: Person[] = [
  ...[
    'Mara',
    'Ilse',
    'Noor',
    'Agnes',
    'Tova',
    'Lucia',
    'Wren',
    'Edda',
    'Sofia',
    'Hana',
    'Petra',
    'Ines',
    'Odile',
    'Rosa',
  ].map((name) => ({ name, they: 'she', them: 'her', their: 'her' })),
  ...[
    'Tomas',
    'Oskar',
    'Emil',
    'Jonah',
    'Ravi',
    'Anselm',
    'Pieter',
    'Luca',
    'Matteo',
    'Ivo',
    'Kasper',
    'Teodor',
    'Samir',
    'Bram',
  ].map((name) => ({ name, they: 'he', them: 'him', their: 'his' })),
]

const trades = [
  {
    trade: 'baker',
    work: 'lit the oven before the sun was up and shaped the loaves by lamplight',
    tool: 'a long wooden paddle',
  },
  {
    trade: 'lighthouse keeper',
    work: 'climbed the hundred and twelve steps to polish the great lens',
    tool: 'a tin of brass polish',
  },
  {
    trade: 'clockmaker',
    work: 'opened the backs of other people’s clocks and listened to them think',
    tool: 'a set of tiny screwdrivers',
  },
  {
    trade: 'ferry pilot',
    work: 'took the flat ferry across the river and back again, eleven times a day',
    tool: 'a coil of tarred rope',
  },
  {
    trade: 'librarian',
    work: 'dusted the high shelves and wrote the names of borrowers in a green ledger',
    tool: 'a ladder on little wheels',
  },
  {
    trade: 'beekeeper',
    work: 'walked between the hives in a veil and hummed so the bees would know who was coming',
    tool: 'a smoker made from an old coffee pot',
  },
  {
    trade: 'mapmaker',
    work: 'measured the lanes with a knotted cord and drew them in fine black ink',
    tool: 'a knotted measuring cord',
  },
  {
    trade: 'potter',
    work: 'turned bowls and jugs on a wheel that squeaked on every third turn',
    tool: 'a wire for cutting clay',
  },
  {
    trade: 'letter carrier',
    work: 'carried the post up every hill and knew every dog by name',
    tool: 'a leather satchel',
  },
  {
    trade: 'shepherd',
    work: 'counted the sheep twice in the morning and three times at night',
    tool: 'a crooked hazel staff',
  },
  {
    trade: 'gardener',
    work: 'pulled weeds, tied up beans and talked to the cabbages when no one was listening',
    tool: 'a trowel with a cracked handle',
  },
  {
    trade: 'schoolteacher',
    work: 'wrote sums on the blackboard and read stories aloud after lunch',
    tool: 'a box of chalk',
  },
  {
    trade: 'blacksmith',
    work: 'hammered hinges, nails and horseshoes until the anvil rang like a bell',
    tool: 'a heavy hammer',
  },
  {
    trade: 'boat builder',
    work: 'bent oak planks over steam and fitted them together without a gap',
    tool: 'a steam box and clamps',
  },
]

const traits = [
  'patient',
  'stubborn',
  'curious',
  'shy',
  'cheerful',
  'careful',
  'restless',
  'quiet',
  'clever',
  'kind',
  'proud',
  'forgetful',
]

const places = [
  {
    place: 'a fishing village on a grey and windy coast',
    short: 'village',
    landmark: 'the harbour wall',
  },
  {
    place: 'a hill town of narrow stairs and red roofs',
    short: 'town',
    landmark: 'the top of the stairs',
  },
  {
    place: 'a river city with more bridges than streets',
    short: 'city',
    landmark: 'the oldest bridge',
  },
  { place: 'a valley full of apple orchards', short: 'valley', landmark: 'the cider press' },
  { place: 'an island with only one road', short: 'island', landmark: 'the end of the road' },
  { place: 'a village high on a mountain pass', short: 'village', landmark: 'the stone chapel' },
  {
    place: 'a market town at the meeting of three roads',
    short: 'town',
    landmark: 'the market cross',
  },
  {
    place: 'a small town at the edge of a great forest',
    short: 'town',
    landmark: 'the last house before the trees',
  },
  {
    place: 'a salt-marsh village where the tide came in twice a day',
    short: 'village',
    landmark: 'the tide post',
  },
]

const openings = [
  'Once upon a time',
  'Long ago',
  'In the year the river froze',
  'Not so long ago',
  'In the days when the roads were still made of mud',
  'Many winters ago',
  'When the old king was still young',
]

const objects = [
  { thing: 'a brass key', use: 'turned it in the rusted lock, and the lock gave way with a sigh' },
  {
    thing: 'a torn map',
    use: 'laid the two halves of the map side by side and saw, at last, where the path went',
  },
  {
    thing: 'an old violin',
    use: 'played the only tune it knew, and the sound carried further than any shout',
  },
  {
    thing: 'a jar of seeds',
    use: 'scattered the seeds along the bare ground, and by morning there were green shoots',
  },
  {
    thing: 'a letter without a stamp',
    use: 'opened the letter and read the directions written inside in a careful hand',
  },
  {
    thing: 'a broken compass',
    use: 'tapped the compass twice, and the needle swung round and pointed home',
  },
  {
    thing: 'a blue lantern',
    use: 'lit the blue lantern, and its light showed the way through the fog',
  },
  {
    thing: 'a ball of red wool',
    use: 'tied the end of the red wool to a post and unrolled it as a path to follow back',
  },
  {
    thing: 'a silver whistle',
    use: 'blew the silver whistle, and the sound brought help from across the water',
  },
  { thing: 'a book of knots', use: 'tied the strongest knot in the book, and it held' },
]

const troubles = [
  {
    trouble: 'the bridge over the river was washed away in a single night',
    fix: 'a new bridge stood where the old one had been, stronger than before',
    need: 'timber and skilled hands',
  },
  {
    trouble: 'the village well ran dry',
    fix: 'clear water rose again in the well, cold and sweet',
    need: 'the old spring in the hills',
  },
  {
    trouble: 'the clock in the square stopped at a quarter past three',
    fix: 'the clock in the square began to tick again',
    need: 'a spring of the right size',
  },
  {
    trouble: 'the bees left their hives and did not come back',
    fix: 'the bees came home, heavy with summer',
    need: 'the meadow where the bees had gone',
  },
  {
    trouble: 'a fog came down so thick that nobody could find the road',
    fix: 'the fog lifted and the road lay clear in the sun',
    need: 'a way through the fog',
  },
  {
    trouble: 'the harvest was late and the barns stood empty',
    fix: 'the barns were full to the rafters',
    need: 'seed that would grow in the cold',
  },
  {
    trouble: 'the ferry broke down in the middle of the river',
    fix: 'the ferry crossed the river again, eleven times a day',
    need: 'a new part for the engine',
  },
  {
    trouble: 'a storm tore the roof from the schoolhouse',
    fix: 'the schoolhouse had a new roof, and the children sang under it',
    need: 'slate for the roof',
  },
  {
    trouble: 'the lamp in the lighthouse went dark',
    fix: 'the lighthouse shone again, and the boats came safely home',
    need: 'oil for the great lamp',
  },
  {
    trouble: 'the sheep wandered off into the hills and could not be found',
    fix: 'the sheep came down from the hills in a long white line',
    need: 'the hidden valley in the hills',
  },
]

const helpers = [
  { who: 'an old woman sitting on a milestone', short: 'old woman' },
  { who: 'a fox who spoke only in questions', short: 'fox' },
  { who: 'a retired sailor mending a net', short: 'sailor' },
  { who: 'a girl flying a yellow kite', short: 'girl' },
  { who: 'a crow with one white feather', short: 'crow' },
  { who: 'a tinker with a cart full of pots', short: 'tinker' },
  { who: 'a boy fishing from a rock', short: 'boy' },
  { who: 'a tired horse standing in the rain', short: 'horse' },
  { who: 'a woman selling apples by the road', short: 'apple seller' },
  { who: 'a miller covered in flour', short: 'miller' },
  { who: 'a hedgehog under a dock leaf', short: 'hedgehog' },
  { who: 'a soldier walking home from a war', short: 'soldier' },
]

const advice = [
  'The road that looks longest is sometimes the quickest.',
  'Ask the river. It has been everywhere.',
  'Whatever you find, do not take more than you need.',
  'Go past the three birches and turn where the wall is broken.',
  'Rest when the sun is highest, walk when the shadows are long.',
  'Listen for water. Where there is water, there are people.',
  'Nobody crosses that ridge alone. Take a friend, or take your time.',
  'The old ones always hid the best things in plain sight.',
  'Be kind to the ferryman, and he will be kind to you.',
  'If the path forks twice, take the left and then the right.',
]

const gifts = [
  'half a loaf of bread',
  'a warm scarf',
  'a handful of walnuts',
  'a dry pair of socks',
  'a song to keep the feet moving',
  'a lump of cheese wrapped in a leaf',
  'a stub of candle',
  'a pear from the bottom of a pocket',
]

const dangers = [
  'a river too wide to wade',
  'a cliff with only a goat path along it',
  'a wood so dark that noon looked like evening',
  'a bog that swallowed every step',
  'a locked gate in a high stone wall',
  'a cave that echoed every word twice',
]

const greetings = [
  { line: 'Where are you going in such a hurry?', verb: 'asked' },
  { line: 'You look like someone with a long way still to go.', verb: 'said' },
  { line: 'Sit down a moment. Nobody walks well on an empty stomach.', verb: 'said' },
  { line: 'Are you lost, or only looking?', verb: 'asked' },
  { line: 'Good day to you, traveller. What brings you this way?', verb: 'called' },
]

/** '"Are you lost?" asked the fox.' — a question is asked, anything else said. */
function speak({ line, verb }: { line: string; verb: string }, who: string): string {
  const quoted = line.endsWith('?') ? line : `${line.slice(0, -1)},`
  return `"${quoted}" ${verb} the ${who}.`
}

const seasons = ['spring', 'summer', 'autumn', 'winter']
const times = ['morning', 'evening', 'night', 'afternoon']
const ordinals = ['first', 'second', 'third']

const customs = [
  'people still leave a candle in the window on that night',
  'children are told the story before they are allowed to cross the river alone',
  'the baker makes a loaf in the shape of a key every spring',
  'nobody ever laughs at a question, however small',
  'the bell is rung three times at noon, once for each helper',
  'every traveller who passes is given a cup of water without being asked',
  'a seat by the fire is always kept empty, just in case',
]

function story(random: Random): { title: string; text: string } {
  const hero = random.pick(people)
  const { trade, work, tool } = random.pick(trades)
  const trait = random.pick(traits)
  const { place, short, landmark } = random.pick(places)
  const object = random.pick(objects)
  const trouble = random.pick(troubles)
  const meetings = random.sample(helpers, 3)
  const season = random.pick(seasons)
  const danger = random.pick(dangers)
  const { name, they, them, their } = hero
  const They = capitalize(they)
  const title = `${name} and ${object.thing.replace(/^an? /, 'the ')}`

  const paragraphs: string[] = []
  paragraphs.push(
    `${random.pick(openings)}, in ${place}, there lived a ${trait} ${trade} named ${name}. ` +
      `Every day ${they} ${work}. ${They} kept ${tool} by the door and ${object.thing} on the shelf above the fire, ` +
      `though nobody, not even ${name}, remembered where ${object.thing.replace(/^an? /, 'the ')} had come from. ` +
      random.pick([
        `People in the ${short} said that ${name} was ${trait}, and they were right.`,
        `It was a quiet life, and ${name} liked it that way.`,
        `Some days were long and some were short, but all of them ended with soup.`,
        `In the evenings ${they} sat by ${landmark} and watched the light go.`,
      ]),
  )
  paragraphs.push(
    `One ${season} ${random.pick(times)}, ${trouble.trouble}. ` +
      `The people of the ${short} gathered by ${landmark} and ${random.pick([
        'talked until their voices were hoarse',
        'shook their heads',
        'argued about whose fault it was',
        'waited for somebody else to do something',
        'looked at each other and said nothing',
      ])}. ` +
      `"We need ${trouble.need}," said the oldest of them, "and nobody here knows where to find it."`,
  )
  paragraphs.push(
    `${name} went home and looked at ${object.thing.replace(/^an? /, 'the ')} for a long time. ` +
      `"${random.pick(['Somebody has to go', 'I am only a ' + trade + ', but I can walk', 'If not me, then who', 'It cannot be so very far'])}," ${they} said to the cat. ` +
      `The next morning ${they} packed ${listOf(random.sample(['bread', 'a blanket', 'a knife', 'a flask of water', 'a candle', 'some string', 'an apple', 'a pencil'], 3))}, ` +
      `put ${object.thing.replace(/^an? /, 'the ')} in ${their} pocket and set out ${random.pick(['along the river', 'towards the hills', 'down the coast road', 'into the forest', 'over the fields'])}.`,
  )
  meetings.forEach((helper, index) => {
    const ordinal = ordinals[index]
    const gift = random.pick(gifts)
    paragraphs.push(
      `On the ${ordinal} day ${they} met ${helper.who}. ` +
        `${speak(random.pick(greetings), helper.short)} ` +
        `${name} ${random.pick([
          `told the whole story, from the beginning to the pocket with ${object.thing.replace(/^an? /, 'the ')} in it.`,
          `explained about the ${short} and what it needed.`,
          `sat down and told the ${helper.short} everything.`,
        ])} ` +
        `The ${helper.short} ${random.pick(['listened without a word', 'nodded slowly', 'laughed, but not unkindly', 'thought for a while'])}, ` +
        `then gave ${them} ${gift} and said, "${random.pick(advice)}" ` +
        random.pick([
          `${name} thanked the ${helper.short} and walked on.`,
          `${name} said thank you twice, to be sure, and went on ${their} way.`,
          `By the time ${name} looked back, the ${helper.short} was gone.`,
        ]),
    )
  })
  paragraphs.push(
    `At last ${they} came to ${danger}. ${They} ${random.pick(['sat down and thought', 'walked up and down', 'tried once and failed', 'almost turned back'])}. ` +
      `Then ${name} remembered ${object.thing.replace(/^an? /, 'the ')}. ${They} ${object.use}. ` +
      `Beyond it lay ${trouble.need}, exactly as the ${meetings[2].short} had said.`,
  )
  paragraphs.push(
    `It took ${random.pick(['three days', 'a week', 'nine days', 'most of a month'])} to come home. ` +
      `When ${name} returned, ${random.pick(['the whole ' + short + ' came out to meet ' + them, 'nobody believed it at first', 'the cat was waiting on the step'])}, ` +
      `and before the ${random.pick(['next full moon', 'first snow', 'end of the season', 'next market day'])}, ${trouble.fix}. ` +
      `${name} put ${object.thing.replace(/^an? /, 'the ')} back on the shelf above the fire, and went back to work.`,
  )
  paragraphs.push(`And that is why, in that ${short}, ${random.pick(customs)}.`)
  return { title, text: `${title}\n\n${wrap(paragraphs.join('\n\n'))}\n` }
}

/** Stories from the grammar, one per file. */
export function generatedStories(random: Random, count: number): Map<string, string> {
  const files = new Map<string, string>()
  while (files.size < count) {
    const { title, text } = story(random)
    const path = `stories/${String(files.size + 1).padStart(3, '0')}-${slug(title)}.txt`
    files.set(path, text)
  }
  return files
}
