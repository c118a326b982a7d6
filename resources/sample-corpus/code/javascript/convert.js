// Unit conversions. Each pair has a function both ways.

/** celsius → fahrenheit */
function celsiusToFahrenheit(value) {
  return value * 1.8 + 32
}

/** fahrenheit → celsius */
function fahrenheitToCelsius(value) {
  return (value - 32) / 1.8
}

/** kilometres → miles */
function kilometresToMiles(value) {
  return value * 0.621371
}

/** miles → kilometres */
function milesToKilometres(value) {
  return value / 0.621371
}

/** kilograms → pounds */
function kilogramsToPounds(value) {
  return value * 2.20462
}

/** pounds → kilograms */
function poundsToKilograms(value) {
  return value / 2.20462
}

/** litres → pints */
function litresToPints(value) {
  return value * 1.75975
}

/** pints → litres */
function pintsToLitres(value) {
  return value / 1.75975
}

/** metres → feet */
function metresToFeet(value) {
  return value * 3.28084
}

/** feet → metres */
function feetToMetres(value) {
  return value / 3.28084
}

/** centimetres → inches */
function centimetresToInches(value) {
  return value * 0.393701
}

/** inches → centimetres */
function inchesToCentimetres(value) {
  return value / 0.393701
}

/** hectares → acres */
function hectaresToAcres(value) {
  return value * 2.47105
}

/** acres → hectares */
function acresToHectares(value) {
  return value / 2.47105
}

/** kilojoules → kilocalories */
function kilojoulesToKilocalories(value) {
  return value * 0.239006
}

/** kilocalories → kilojoules */
function kilocaloriesToKilojoules(value) {
  return value / 0.239006
}

/** grams → ounces */
function gramsToOunces(value) {
  return value * 0.035274
}

/** ounces → grams */
function ouncesToGrams(value) {
  return value / 0.035274
}

/** kilometres per hour → knots */
function kilometresPerHourToKnots(value) {
  return value * 0.539957
}

/** knots → kilometres per hour */
function knotsToKilometresPerHour(value) {
  return value / 0.539957
}

// A few examples, printed as a table.
console.log('8 centimetres =', centimetresToInches(8).toFixed(2), 'inches')
console.log('91 litres =', litresToPints(91).toFixed(2), 'pints')
console.log('67 celsius =', celsiusToFahrenheit(67).toFixed(2), 'fahrenheit')
console.log('93 hectares =', hectaresToAcres(93).toFixed(2), 'acres')
