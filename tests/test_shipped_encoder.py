"""The reference encoder committed in `checkpoints/tf_ner_zh_mini`: the demo's default
`--bert-dir`, a compact pre-trained encoder, and one that has learnt Chinese (it fills
in masked characters of hand-written sentences that the most frequent character, or a
network that learnt nothing, would miss)."""

from tf_ner import load
from tf_ner.bert.config import BertConfig
from tf_ner.demo import SHIPPED_ENCODER, parser
from tf_ner.ground.settings import Situation
from tf_ner.train.config import TrainConfig

# Sentences written for this test (none from the corpus), each with its masked character.
SENTENCES = {
    "中华人民共[MASK]国成立于一九四九年。": "和",
    "北京是中国的首[MASK]。": "都",
    "国务院总理李[MASK]会见了外国客人。": "鹏",
    "今年的经济发展速度很[MASK]。": "快",
    "他们在学[MASK]里学习汉语。": "校",
    "上海是一个大城[MASK]。": "市",
    "我们要坚持改革开[MASK]。": "放",
    "新华社北京三月五日[MASK]。": "电",
}


def test_the_demo_fine_tunes_the_shipped_encoder_as_a_compact_pre_trained_one():
    assert parser().parse_args([]).bert_dir == str(SHIPPED_ENCODER)
    config = BertConfig.from_json_file(SHIPPED_ENCODER / "bert_config.json")
    assert (config.hidden_size, config.num_hidden_layers) == (256, 4)
    run = TrainConfig(train="t", output_dir="o", bert_dir=str(SHIPPED_ENCODER))
    assert run.situation == Situation.COMPACT


def test_the_shipped_encoder_fills_in_masked_characters():
    filler = load(SHIPPED_ENCODER)
    predicted = filler.predict(list(SENTENCES))
    top5 = [[c["token"] for c in masks[0]["candidates"]] for masks in predicted]
    answers = list(SENTENCES.values())
    assert all(answer in tokens for answer, tokens in zip(answers, top5, strict=True)), top5
    top1 = sum(tokens[0] == answer for answer, tokens in zip(answers, top5, strict=True))
    assert top1 >= 6, top5
