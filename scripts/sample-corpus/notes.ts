/** Markdown notes: a garden journal, recipes, meeting notes of a small project, a travel diary. */
import { capitalize, listOf, Random, slug, wrap } from './random'

const months = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
]
const daysInMonth = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

const sowing: Record<number, string[]> = {
  1: ['onions under glass', 'sweet peas in deep pots'],
  2: ['early peas', 'broad beans', 'leeks in a seed tray'],
  3: ['carrots', 'radishes', 'lettuce', 'spinach', 'parsnips'],
  4: ['beetroot', 'chard', 'tomatoes on the windowsill', 'more lettuce'],
  5: ['runner beans', 'courgettes', 'sweetcorn', 'basil'],
  6: ['more beans', 'a late row of carrots', 'kale'],
  7: ['winter cabbage', 'a last row of beetroot'],
  8: ['spring onions', 'winter lettuce'],
  9: ['garlic', 'broad beans for next year'],
  10: ['garlic', 'tulip bulbs by the gate'],
  11: ['nothing; the ground is too wet'],
  12: ['nothing; the seed catalogue is the only garden now'],
}

/** Jobs for the cold months (Nov–Feb) and for the growing season. */
const chores = {
  cold: [
    'Turned the compost. It is warm in the middle, which is a good sign.',
    'Mended the gate, which had dropped on its hinges again.',
    'Spread a barrow of manure on the empty bed.',
    'Cleaned and oiled the tools and hung them up in the shed.',
    'Pruned the apple trees while they are asleep.',
    'Dug over the bean trench and filled it with kitchen scraps.',
    'Sorted the seed packets and threw out the old ones.',
  ],
  growing: [
    'Weeded the onion bed. The bindweed is back, as always.',
    'Tied the tomatoes to their canes with strips of an old shirt.',
    'Netted the cabbages against the pigeons.',
    'Watered everything twice; the water butt is nearly empty.',
    'Cut back the mint before it takes over the path.',
    'Picked slugs off the lettuces by torchlight.',
    'Thinned the carrots. The smell of it brings the carrot fly, so I did it at dusk.',
    'Turned the compost. It is warm in the middle, which is a good sign.',
    'Moved the rhubarb to the corner where it gets more sun.',
  ],
}

const harvests: Record<number, string[]> = {
  5: ['the first radishes'],
  6: ['lettuce', 'the first peas', 'strawberries'],
  7: ['broad beans', 'courgettes', 'raspberries', 'new potatoes'],
  8: ['runner beans', 'tomatoes', 'sweetcorn', 'plums'],
  9: ['apples', 'the last tomatoes', 'onions for drying'],
  10: ['pumpkins', 'carrots', 'pears'],
  11: ['leeks', 'parsnips after the first frost'],
}

const weather = {
  cold: [
    'bright and cold',
    'grey and still',
    'frost in the morning',
    'heavy rain overnight',
    'blustery',
    'sleet',
    'fog until noon',
  ],
  growing: [
    'showers all day',
    'warm, with a light wind',
    'hot and dry',
    'grey and still',
    'fog until noon',
    'perfect: sun and a soft breeze',
    'thunder in the afternoon',
  ],
}

const wildlife = [
  'A robin followed me up and down the bed, waiting for worms.',
  'Saw the hedgehog again by the compost heap.',
  'The blackbirds have found the currants.',
  'A wren is nesting in the ivy on the shed.',
  'Bees all over the borage.',
  'Two frogs in the pond; the first this year.',
  'A fox crossed the bottom of the garden at dusk, in no hurry at all.',
  'The swallows are back under the eaves.',
]

function gardenJournal(random: Random): string {
  const lines = [
    '# Garden journal',
    '',
    'Notes from the allotment, plot 14. Written on the day, in pencil, copied up later.',
    '',
  ]
  for (let month = 0; month < 12; month++) {
    lines.push(`## ${months[month]}`, '')
    const visits = random
      .sample(
        Array.from({ length: daysInMonth[month] }, (_, i) => i + 1),
        random.int(5, 8),
      )
      .sort((a, b) => a - b)
    for (const day of visits) {
      const season = month < 2 || month > 9 ? 'cold' : 'growing'
      lines.push(`### ${day} ${months[month]}`, '')
      lines.push(
        `- Weather: ${random.pick(weather[season])}, ${season === 'cold' ? random.int(-3, 9) : random.int(8, 27)} °C.`,
      )
      const sow = sowing[month + 1]
      if (random.chance(0.6)) lines.push(`- Sowed ${random.pick(sow)}.`)
      lines.push(`- ${random.pick(chores[season])}`)
      const crop = harvests[month + 1]
      if (crop && random.chance(0.7))
        lines.push(
          `- Picked ${listOf(random.sample(crop, Math.min(crop.length, random.int(1, 2))))}.`,
        )
      if (random.chance(0.4)) lines.push(`- ${random.pick(wildlife)}`)
      lines.push('')
    }
  }
  return lines.join('\n')
}

interface Base {
  /** As in the title. */
  name: string
  /** The ingredient line, with its amount. */
  item: string
  /** As the method names it. */
  noun: string
}

interface Dish {
  kind: string
  base: Base[]
  flavours: string[]
  staples: string[]
  method: (main: string, flavour: string) => string[]
  serves: [number, number]
}

const base = (name: string, item: string, noun = name): Base => ({ name, item, noun })

const dishes: Dish[] = [
  {
    kind: 'soup',
    base: [
      base('carrot', '600 g carrots, sliced', 'carrots'),
      base('leek and potato', '3 leeks and 2 potatoes, chopped', 'leeks and potatoes'),
      base('pumpkin', '800 g pumpkin, peeled and cubed'),
      base('tomato', '1 kg ripe tomatoes, chopped', 'tomatoes'),
      base('pea', '500 g peas, fresh or frozen', 'peas'),
      base('mushroom', '400 g mushrooms, sliced', 'mushrooms'),
      base('lentil', '250 g red lentils, rinsed', 'lentils'),
    ],
    flavours: ['thyme', 'cumin', 'ginger', 'parsley', 'smoked paprika', 'bay leaf'],
    staples: ['1 onion', '30 g butter', '1 litre vegetable stock', 'salt and pepper'],
    serves: [4, 6],
    method: (main, flavour) => [
      'Chop the onion and soften it in the butter over a low heat for ten minutes.',
      `Add the ${main} and the ${flavour} and stir for two minutes.`,
      'Pour in the stock, bring to the boil, then turn down the heat and simmer for twenty-five minutes.',
      'Blend until smooth, or leave it rough if you prefer.',
      'Taste, add salt and pepper, and serve hot with bread.',
    ],
  },
  {
    kind: 'bread',
    base: [
      base('white', '500 g strong white flour', 'flour'),
      base('wholemeal', '500 g wholemeal flour', 'flour'),
      base('rye', '300 g rye flour and 200 g white flour', 'flours'),
      base('oat', '400 g white flour and 100 g rolled oats', 'flour and oats'),
      base('walnut', '500 g white flour and a handful of walnuts', 'flour and walnuts'),
    ],
    flavours: ['honey', 'rosemary', 'caraway', 'sunflower seeds', 'treacle'],
    staples: ['7 g dried yeast', '10 g salt', '320 ml warm water'],
    serves: [8, 10],
    method: (main, flavour) => [
      `Mix the ${main}, the salt and the yeast in a large bowl.`,
      `Add the warm water and the ${flavour}, and stir into a rough dough.`,
      'Knead for ten minutes until the dough is smooth and springs back when pressed.',
      'Cover and leave to rise until doubled, about an hour.',
      'Shape into a loaf, put it in a tin and leave to rise again for forty minutes.',
      'Bake at 220 °C for thirty-five minutes, until it sounds hollow when tapped underneath.',
    ],
  },
  {
    kind: 'stew',
    base: [
      base('bean', '2 tins of butter beans, drained', 'beans'),
      base('chickpea', '2 tins of chickpeas, drained', 'chickpeas'),
      base('root vegetable', '800 g mixed root vegetables, cubed', 'vegetables'),
      base('mushroom and barley', '400 g mushrooms and 150 g pearl barley', 'mushrooms and barley'),
      base(
        'lentil and squash',
        '200 g green lentils and half a squash, cubed',
        'lentils and squash',
      ),
    ],
    flavours: ['garlic', 'rosemary', 'smoked paprika', 'cinnamon', 'chilli', 'sage'],
    staples: [
      '1 onion',
      '2 carrots',
      '2 sticks of celery',
      '2 tbsp olive oil',
      '1 tin of chopped tomatoes',
    ],
    serves: [4, 6],
    method: (main, flavour) => [
      'Fry the onion, carrot and celery gently in the oil until soft.',
      `Add the ${flavour} and cook for one minute more.`,
      `Add the ${main}, the chopped tomatoes and enough water to cover.`,
      'Simmer with the lid half on for forty minutes, stirring now and then.',
      'Season well and leave to stand for ten minutes before serving.',
    ],
  },
  {
    kind: 'cake',
    base: [
      base('apple', '3 apples, peeled and chopped', 'apples'),
      base('lemon', 'the zest and juice of 2 lemons', 'lemon'),
      base('carrot', '250 g grated carrot', 'carrot'),
      base('plum', '8 plums, stoned and halved', 'plums'),
      base('ginger', '2 pieces of stem ginger, chopped', 'ginger'),
    ],
    flavours: ['cinnamon', 'vanilla', 'nutmeg', 'orange zest', 'cardamom'],
    staples: [
      '175 g butter',
      '175 g sugar',
      '3 eggs',
      '200 g self-raising flour',
      '1 tsp baking powder',
    ],
    serves: [8, 12],
    method: (main, flavour) => [
      'Heat the oven to 180 °C and line a round tin with paper.',
      'Beat the butter and sugar together until pale.',
      'Beat in the eggs one at a time.',
      `Fold in the flour, the baking powder and the ${flavour}.`,
      `Stir in the ${main} and spoon the mixture into the tin.`,
      'Bake for forty-five minutes, until a skewer comes out clean.',
      'Leave to cool in the tin for ten minutes before turning out.',
    ],
  },
  {
    kind: 'salad',
    base: [
      base('potato', '600 g small potatoes', 'potatoes'),
      base('green bean', '400 g green beans', 'beans'),
      base('tomato', '500 g ripe tomatoes', 'tomatoes'),
      base('beetroot', '4 cooked beetroot', 'beetroot'),
      base('cucumber', '1 large cucumber', 'cucumber'),
    ],
    flavours: ['mint', 'dill', 'mustard', 'lemon', 'chives', 'parsley'],
    staples: ['3 tbsp olive oil', '1 tbsp cider vinegar', 'a pinch of salt'],
    serves: [2, 4],
    method: (main, flavour) => [
      `Prepare the ${main}: wash, trim, and cook first if they need cooking.`,
      `Whisk the oil, vinegar and ${flavour} together with a pinch of salt.`,
      'Toss everything together while the dressing is fresh.',
      'Leave for ten minutes so the flavours can meet, then serve.',
    ],
  },
]

function recipe(random: Random): { title: string; text: string } {
  const dish = random.pick(dishes)
  const main = random.pick(dish.base)
  const flavour = random.pick(dish.flavours)
  const title = `${capitalize(main.name)} ${dish.kind} with ${flavour}`
  const lines = [
    `# ${title}`,
    '',
    `Serves ${random.int(dish.serves[0], dish.serves[1])}. ${random.pick([
      'A good one for a cold evening.',
      'Easy, and better the next day.',
      'From a card in the kitchen drawer, with changes.',
      'Quick enough for a weekday.',
    ])}`,
    '',
    '## Ingredients',
    '',
    ...[main.item, ...dish.staples, `${flavour}, to taste`].map((item) => `- ${item}`),
    '',
    '## Method',
    '',
    ...dish.method(main.noun, flavour).map((step, i) => `${i + 1}. ${step}`),
    '',
  ]
  if (random.chance(0.5)) {
    lines.push(
      '## Notes',
      '',
      wrap(
        random.pick([
          `It keeps for three days in the fridge. The ${flavour} gets stronger overnight.`,
          `Use less ${flavour} the first time; you can always add more.`,
          'Doubles easily. Freeze half for a day when there is no time to cook.',
          `No ${main.name}? Almost anything in season will do instead.`,
        ]),
      ),
      '',
    )
  }
  return { title, text: lines.join('\n') }
}

const team = ['Ada', 'Bruno', 'Chen', 'Dilys', 'Efe', 'Farah']
const topics = [
  {
    topic: 'Rain gauge',
    update: 'The tipping bucket counts twice on heavy rain; we think it bounces.',
    action: 'add a small weight to the bucket and test with a watering can',
  },
  {
    topic: 'Wind vane',
    update: 'The readings stick at north-east for minutes at a time.',
    action: 'clean the bearing and check the magnet is glued straight',
  },
  {
    topic: 'Temperature sensor',
    update: 'Reads two degrees high in the afternoon sun.',
    action: 'build a louvred screen from plant pot saucers',
  },
  {
    topic: 'Battery',
    update: 'The battery lasted nine days on the last charge, up from six.',
    action: 'log the voltage every hour for a week',
  },
  {
    topic: 'Data upload',
    update: 'Uploads fail when the signal drops below two bars.',
    action: 'keep the readings on the card and retry every ten minutes',
  },
  {
    topic: 'Website',
    update: 'The chart page loads slowly on old phones.',
    action: 'show the last day by default and load the rest on request',
  },
  {
    topic: 'Enclosure',
    update: 'Water got in at the cable gland after the storm.',
    action: 'replace the gland and add a drip loop',
  },
  {
    topic: 'Calibration',
    update: 'Our readings match the airport station to within half a degree.',
    action: 'write down the method so we can repeat it each season',
  },
]

function meeting(random: Random, week: number): { title: string; text: string } {
  const present = random.sample(team, random.int(3, 5)).sort()
  const items = random.sample(topics, 3)
  const title = `Weather station meeting, week ${week}`
  const lines = [`# ${title}`, '', `Present: ${listOf(present)}.`, '', '## Updates', '']
  for (const item of items) lines.push(`- **${item.topic}.** ${item.update}`)
  lines.push('', '## Decisions', '')
  lines.push(`- ${random.pick(['We agreed to', 'We will', 'Next we will'])} ${items[0].action}.`)
  if (random.chance(0.5))
    lines.push(
      `- ${random.pick(['No new parts this month.', 'Order two spare sensors.', 'Keep the old logger as a backup.', 'Move the station one metre away from the wall.'])}`,
    )
  lines.push('', '## Actions', '')
  items.forEach((item, i) => lines.push(`- [ ] ${present[i % present.length]}: ${item.action}.`))
  lines.push(
    '',
    `Next meeting: ${random.pick(['Tuesday', 'Wednesday', 'Thursday'])} at ${random.int(5, 8)} pm.`,
    '',
  )
  return { title, text: lines.join('\n') }
}

const towns = [
  {
    town: 'Harrowby',
    sight: 'a harbour full of blue and white boats',
    food: 'fried fish eaten from the paper',
  },
  {
    town: 'Eastmere',
    sight: 'a lake so still it doubled the hills',
    food: 'trout with brown butter',
  },
  { town: 'Caldwick', sight: 'a market hall with an iron roof', food: 'a pie the size of a hat' },
  {
    town: 'Pennford',
    sight: 'a ford where the cars still drive through the river',
    food: 'cheese and pickles at the inn',
  },
  {
    town: 'Saltcote',
    sight: 'salt pans shining between the dykes',
    food: 'samphire and new potatoes',
  },
  {
    town: 'Brackenholm',
    sight: 'a ruined abbey with no roof and perfect arches',
    food: 'scones with too much jam',
  },
  {
    town: 'Greywater',
    sight: 'a lock staircase climbing the hill, eight gates in a row',
    food: 'soup from a flask on the towpath',
  },
]

function travelDiary(random: Random): string {
  const route = random.sample(towns, towns.length)
  const lines = [
    '# Walking the old drovers’ road',
    '',
    'A diary of seven days on foot, one town a day.',
    '',
  ]
  route.forEach((stop, i) => {
    lines.push(`## Day ${i + 1}: ${stop.town}`, '')
    lines.push(
      wrap(
        `${random.pick(['Set off early', 'Late start', 'Left after breakfast', 'Away by seven'])}, ${random.pick(['under a grey sky', 'in bright sun', 'in a fine rain', 'with a wind at our backs'])}. ` +
          `About ${random.int(14, 26)} kilometres today, ${random.pick(['mostly on field paths', 'much of it along the canal', 'with one long climb', 'flat all the way'])}. ` +
          `${stop.town} has ${stop.sight}. We ate ${stop.food} and ${random.pick(['slept like stones', 'talked until late', 'wrote postcards', 'studied the map for tomorrow'])}.`,
      ),
      '',
    )
    lines.push(
      `- Blisters: ${random.pick(['none', 'one, small', 'two, taped', 'better than yesterday'])}`,
    )
    lines.push(
      `- Best moment: ${random.pick(['a heron lifting off the water', 'tea at a farm gate', 'the view from the ridge', 'a dog that walked with us for a mile', 'the first sight of the town roofs'])}`,
      '',
    )
  })
  return lines.join('\n')
}

export function generatedNotes(random: Random): Map<string, string> {
  const files = new Map<string, string>()
  files.set('notes/garden-journal.md', gardenJournal(random))
  const seen = new Set<string>()
  while (seen.size < 16) {
    const { title, text } = recipe(random)
    if (seen.has(title)) continue
    seen.add(title)
    files.set(`notes/recipes/${slug(title)}.md`, text)
  }
  for (let week = 1; week <= 14; week++) {
    files.set(`notes/meetings/week-${String(week).padStart(2, '0')}.md`, meeting(random, week).text)
  }
  files.set('notes/travel-diary.md', travelDiary(random))
  return files
}
