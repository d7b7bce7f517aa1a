"""PairIndex.merge updating both neighbours of every occurrence, touching occurrences included.

In a b a b -> N N the first occurrence adds (N, a) and the second takes it back as its left
pair: no look-ahead needed, and the counts come out the same.
"""

TASK = "1.5"
KIND = "alternative"


class PairIndex:
    def merge(self, pair, new_id):
        """Merge ``pair`` into ``new_id`` everywhere; each occurrence updates both of its neighbours."""
        first, second = pair
        count_changes: defaultdict[Pair, int] = defaultdict(int)
        for word_index in self.words_with_pair.pop(pair, ()):
            word, word_count = self.words[word_index], self.word_counts[word_index]
            new_word: list[int] = []
            i = 0
            while i < len(word):
                if not (word[i] == first and i + 1 < len(word) and word[i + 1] == second):
                    new_word.append(word[i])
                    i += 1
                    continue
                count_changes[pair] -= word_count
                if new_word:
                    left = new_word[-1]
                    count_changes[(left, first)] -= word_count
                    count_changes[(left, new_id)] += word_count
                    self.words_with_pair[(left, new_id)].add(word_index)
                if i + 2 < len(word):
                    right = word[i + 2]
                    count_changes[(second, right)] -= word_count
                    count_changes[(new_id, right)] += word_count
                    self.words_with_pair[(new_id, right)].add(word_index)
                new_word.append(new_id)
                i += 2
            self.words[word_index] = new_word
        for changed_pair, change in count_changes.items():
            if change == 0:
                continue
            count = self.pair_counts.get(changed_pair, 0) + change
            if count > 0:
                self.pair_counts[changed_pair] = count
                heapq.heappush(self.heap, self._heap_entry(changed_pair, count))
            else:
                del self.pair_counts[changed_pair]
                self.words_with_pair.pop(changed_pair, None)
